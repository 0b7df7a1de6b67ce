package art_test

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"io"
	"math"
	"testing"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"

	"parley/internal/art"
)

// TestSVGMatchesRender draws icon.svg with an independent SVG renderer
// (the one Fyne itself uses) and checks that every pixel lands in the same
// part of the picture as in art.Render: the white bubble, the warm bubble,
// or neither. So the SVG is a faithful source, not a look-alike. (That
// renderer ignores userSpaceOnUse gradients, so colours within the tile
// are not compared.)
func TestSVGMatchesRender(t *testing.T) {
	const n = 256
	icon, err := oksvg.ReadIconStream(bytes.NewReader(art.SVG()))
	if err != nil {
		t.Fatalf("parse SVG: %v", err)
	}
	icon.SetTarget(0, 0, n, n)
	got := image.NewRGBA(image.Rect(0, 0, n, n))
	sc := rasterx.NewScannerGV(n, n, got, got.Bounds())
	icon.Draw(rasterx.NewDasher(n, n, sc), 1)

	want := art.Render(n)
	var compared, differ int
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			w := class(want.At(x, y))
			if w == edge {
				continue // anti-aliased: both renderers may round differently
			}
			compared++
			if g := class(got.At(x, y)); g != w {
				differ++
			}
		}
	}
	if compared < n*n*9/10 {
		t.Fatalf("only %d of %d pixels classified; classifier broken", compared, n*n)
	}
	if differ > compared/200 {
		t.Errorf("%d of %d pixels differ in kind between SVG and Render", differ, compared)
	}
}

type kind int

const (
	edge kind = iota
	front
	back
	other
	clear
)

func class(c color.Color) kind {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	switch {
	case n.A == 0:
		return clear
	case n.A != 0xff:
		return edge
	case dist(n, art.Front) < 12:
		return front
	case dist(n, art.Back) < 12:
		return back
	case n.B > n.R+60 && n.B > n.G+60: // the tile, the gap and the dots
		return other
	}
	return edge
}

func dist(a, b color.NRGBA) float64 {
	dr, dg, db := float64(a.R)-float64(b.R), float64(a.G)-float64(b.G), float64(a.B)-float64(b.B)
	return math.Sqrt(dr*dr + dg*dg + db*db)
}

// TestContrast keeps the icon legible at 16 px, where shape edges blur and
// only colour contrast separates the bubbles from the tile: the white
// bubble needs WCAG's 4.5:1 against every tile colour, the warm one the
// 3:1 for graphics against the tile colour behind its middle.
func TestContrast(t *testing.T) {
	tests := []struct {
		name string
		fg   color.NRGBA
		bg   color.Color
		min  float64
	}{
		{"front on tile top", art.Front, art.TileTop, 4.5},
		{"front on tile bottom", art.Front, art.TileBottom, 4.5},
		{"back on tile behind it", art.Back, art.Render(256).At(256-6, 256*3/10), 3},
		{"dots on front", art.Dot, art.Front, 4.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := contrast(tt.fg, tt.bg); r < tt.min {
				t.Errorf("contrast %.2f, want at least %.1f", r, tt.min)
			}
		})
	}
}

// TestSmallSizes renders the sizes a desktop shows in menus and title bars
// and checks the picture survives: both bubbles still have solid pixels.
func TestSmallSizes(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		img := art.Render(n)
		counts := map[kind]int{}
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				counts[class(img.At(x, y))]++
			}
		}
		// At 16 px a bubble is about 8×6 px; demand a solid core of
		// about a fifth of that, so it reads as a shape, not a smear.
		if min := n * n / 40; counts[front] < min || counts[back] < min {
			t.Errorf("%d px: %d white and %d warm solid pixels, want at least %d each", n, counts[front], counts[back], min)
		}
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	d := xml.NewDecoder(bytes.NewReader(art.SVG()))
	ids := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					if ids[a.Value] {
						t.Errorf("duplicate id %q", a.Value)
					}
					ids[a.Value] = true
				}
			}
		}
	}
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is WCAG 2's relative luminance of an opaque sRGB colour.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}
