package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// readRSS returns the resident set of process pid in KB, from
// /proc/PID/status; 0 when pid is 0 or the file cannot be read.
func readRSS(pid int) int64 { return readProcField(pid, "status", "VmRSS:") }

// parseVmRSS finds "VmRSS:   1234 kB" in a /proc/PID/status file.
func parseVmRSS(status []byte) int64 { return procField(status, "VmRSS:") }

// readWrites returns how many write system calls process pid has made
// (syscw in /proc/PID/io, all its threads); 0 when pid is 0 or the file
// cannot be read.
func readWrites(pid int) uint64 { return uint64(readProcField(pid, "io", "syscw:")) }

// parseSyscw finds "syscw: 1234" in a /proc/PID/io file.
func parseSyscw(io []byte) uint64 { return uint64(procField(io, "syscw:")) }

// readProcField reads the number after key in /proc/PID/file; 0 when pid
// is 0, the file cannot be read or has no such line.
func readProcField(pid int, file, key string) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0
	}
	return procField(b, key)
}

// procField returns the first number after key at the start of a line
// of b, such as "VmRSS:   1234 kB"; 0 when there is none.
func procField(b []byte, key string) int64 {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(key))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(string(f[0]), 10, 64)
		return n
	}
	return 0
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times; it is 100 on
// every Linux architecture Go supports.
const clockTick = 100

// readCPU returns the user+system CPU time process pid has used: to the
// nanosecond from the scheduler's count of each of its threads where the
// kernel has it, else in clock ticks. Ticks are too coarse for a server
// at a few % of a core: in 8 s at 4 % one tick is 3 % of the figure.
func readCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	if d, ok := threadsCPU(pid); ok {
		return d
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(b)
}

// threadsCPU sums the time on CPU of every thread of process pid, the
// first field of /proc/PID/task/TID/schedstat, in nanoseconds. A thread
// that exited is missing from the sum; the Go runtime keeps its threads.
func threadsCPU(pid int) (time.Duration, bool) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited meanwhile
		}
		f := bytes.Fields(b)
		if len(f) == 0 {
			return 0, false
		}
		ns, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		sum += time.Duration(ns)
	}
	return sum, true
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) is in parentheses and
// may hold spaces, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) time.Duration {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(string(f[11]), 10, 64)
	st, _ := strconv.ParseInt(string(f[12]), 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sysTimes is the machine-wide CPU time from /proc/stat, all CPUs
// together.
type sysTimes struct {
	// Busy is user, nice, system, irq and steal time: compared with the
	// server's and the generator's own CPU time over the same window, it
	// tells how much other work (a compiler, a neighbour VM) ran during a
	// measurement.
	Busy time.Duration
	// Softirq is interrupt-context time, kept apart because on loopback
	// most of it is the test's own TCP traffic: with IRQ time accounting
	// (this kernel has it) it is charged to no process.
	Softirq time.Duration
}

// readSysTimes reads /proc/stat; zero when it cannot.
func readSysTimes() sysTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return sysTimes{}
	}
	return parseSysTimes(b)
}

// parseSysTimes reads the "cpu " line of /proc/stat.
func parseSysTimes(stat []byte) sysTimes {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return sysTimes{}
	}
	tick := func(i int) time.Duration {
		v, _ := strconv.ParseInt(string(f[i]), 10, 64)
		return time.Duration(v) * time.Second / clockTick
	}
	// user nice system idle iowait irq softirq steal
	return sysTimes{Busy: tick(1) + tick(2) + tick(3) + tick(6) + tick(8), Softirq: tick(7)}
}
