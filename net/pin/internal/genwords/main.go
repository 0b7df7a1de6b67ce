// Command genwords makes net/pin's word list (words.txt) from the EFF
// large diceware list (CC BY 3.0, Electronic Frontier Foundation, 2016),
// as Debian's diceware package installs it. The selection is
// deterministic: the list's own order, words of 4 to 6 lower-case letters,
// the first word of each three-letter prefix (so that any three letters
// name one word), the first 1024 of those. Run it through go generate in
// net/pin; it needs no network.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// size is the list's length: 10 bits a word.
const size = 1024

func main() {
	src := flag.String("src", "/usr/lib/python3/dist-packages/diceware/wordlists/wordlist_en_eff.txt",
		"the EFF large word list (apt-get install diceware)")
	out := flag.String("out", "words.txt", "where to write the list")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genwords:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	seen := map[string]bool{}
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(words) < size {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		w := fields[1]
		if len(w) < 4 || len(w) > 6 || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" || seen[w[:3]] {
			continue
		}
		seen[w[:3]] = true
		words = append(words, w)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(words) != size {
		return fmt.Errorf("%s gave %d words, want %d", src, len(words), size)
	}
	return os.WriteFile(out, []byte(strings.Join(words, "\n")+"\n"), 0o644)
}
