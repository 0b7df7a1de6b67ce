// Command icongen renders Parley's app icon into the assets directory: the SVG
// source and the PNGs that packaging and the running app use. Run it with
// `go generate ./assets` from the repository root.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"parley/internal/art"
)

func main() {
	dir := flag.String("dir", ".", "directory to write icon.svg and the PNGs into")
	preview := flag.String("preview", "", "also write icon-N.png for these extra sizes into this directory (for eyeballing)")
	flag.Parse()
	if err := run(*dir, *preview); err != nil {
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
}

// outputs are the files the repository keeps: icon.png is the packaging
// source (1024 px, what macOS wants), icon-256.png is the runtime window
// and notification icon and the Windows .ico source (256 is the largest
// size an ICO entry can declare).
var outputs = []struct {
	name string
	size int
}{
	{"icon.png", 1024},
	{"icon-256.png", 256},
}

func run(dir, preview string) error {
	if err := os.WriteFile(filepath.Join(dir, "icon.svg"), art.SVG(), 0o644); err != nil {
		return err
	}
	for _, o := range outputs {
		if err := writePNG(filepath.Join(dir, o.name), o.size); err != nil {
			return err
		}
	}
	if preview != "" {
		for _, n := range []int{16, 24, 32, 48, 64, 128, 512} {
			if err := writePNG(filepath.Join(preview, fmt.Sprintf("icon-%d.png", n)), n); err != nil {
				return err
			}
		}
	}
	return nil
}

func writePNG(name string, size int) error {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, art.Render(size)); err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}
