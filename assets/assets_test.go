package assets_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"

	"parley/assets"
	"parley/internal/art"
)

// TestGeneratedFilesAreCurrent fails when someone edits the drawing code
// (or a PNG by hand) without running `go generate ./assets`.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	svg, err := os.ReadFile("icon.svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(svg, art.SVG()) {
		t.Error("icon.svg differs from art.SVG(); run go generate ./assets")
	}

	tests := []struct {
		name string
		data func(t *testing.T) []byte
		size int
	}{
		{"icon.png", func(t *testing.T) []byte {
			b, err := os.ReadFile("icon.png")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, 1024},
		{"assets.Icon", func(*testing.T) []byte { return assets.Icon }, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(tt.data(t)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, ok := img.(*image.NRGBA)
			if !ok {
				t.Fatalf("decoded as %T, want *image.NRGBA (an RGBA PNG)", img)
			}
			if b := got.Bounds(); b.Dx() != tt.size || b.Dy() != tt.size {
				t.Fatalf("size %v, want %d×%d", b.Size(), tt.size, tt.size)
			}
			// Allow rounding noise from float32 rasterising on other CPUs
			// (arm64 fuses multiply-adds), not a different picture.
			want := art.Render(tt.size)
			var off int
			for i := 0; i < len(want.Pix); i += 4 {
				if !near(got.Pix[i:i+4], want.Pix[i:i+4], 3) {
					off++
				}
			}
			if limit := tt.size * tt.size / 2000; off > limit {
				t.Errorf("%d pixels differ from art.Render(%d) (limit %d); run go generate ./assets", off, tt.size, limit)
			}
		})
	}
}

// TestPackagingIcon checks what fyne package needs from FyneApp.toml's
// icon: a square PNG of at least 512 px with transparent corners (the
// rounded tile), opaque in the middle.
func TestPackagingIcon(t *testing.T) {
	f, err := os.Open("icon.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if format != "png" || cfg.Width != cfg.Height || cfg.Width < 512 {
		t.Fatalf("icon.png is %s %d×%d, want a square PNG of at least 512 px", format, cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		t.Fatal(err)
	}
	n := img.Bounds().Dx()
	for _, p := range []image.Point{{0, 0}, {n - 1, 0}, {0, n - 1}, {n - 1, n - 1}} {
		if _, _, _, a := img.At(p.X, p.Y).RGBA(); a != 0 {
			t.Errorf("corner %v has alpha %d, want transparent", p, a>>8)
		}
	}
	if _, _, _, a := img.At(n/2, n/2).RGBA(); a != 0xffff {
		t.Errorf("centre alpha %d, want opaque", a>>8)
	}
}

// near reports whether two NRGBA pixels differ by at most tol per channel.
func near(a, b []byte, tol int) bool {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < -tol || d > tol {
			return false
		}
	}
	return true
}
