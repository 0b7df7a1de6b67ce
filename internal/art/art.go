// Package art holds the geometry of Parley's app icon and renders it, both
// as pixels and as SVG, from one description so the two never drift apart.
//
// The icon is two overlapping speech bubbles on a rounded indigo tile: a
// warm one behind (the other person) and a white one in front with three
// dots (you, talking). Every shape is big and solid so the picture still
// reads at 16 px, where anything thinner than ~1/16 of the tile vanishes.
package art

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/vector"
)

// Canvas is the side of the square design space, in design units. All
// coordinates below are in this space; rendering scales them.
const Canvas = 1024

// Colours of the icon. The tile is a vertical gradient from TileTop to
// TileBottom; the dots reuse the tile colour so they read as holes.
var (
	TileTop    = color.NRGBA{0x6a, 0x5c, 0xff, 0xff}
	TileBottom = color.NRGBA{0x3d, 0x2d, 0xc4, 0xff}
	Back       = color.NRGBA{0xff, 0xbe, 0x3d, 0xff}
	Front      = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	Dot        = color.NRGBA{0x4c, 0x3e, 0xdc, 0xff}
)

// TileRadius matches the corner fyne package applies for macOS
// (185.4/824 of the tile), so the macOS mask cuts nothing of ours.
const TileRadius = Canvas * 0.225

// Gap is the ring of tile colour that separates the front bubble from the
// back one; without it the two merge into one blob at small sizes.
const Gap = 40

// op is one path command in design units.
type op struct {
	verb byte // 'M', 'L', 'C', 'Z'
	pts  []float64
}

// path is a closed outline; subpaths are unioned (same winding).
type path []op

func (p *path) moveTo(x, y float64) { *p = append(*p, op{'M', []float64{x, y}}) }
func (p *path) lineTo(x, y float64) { *p = append(*p, op{'L', []float64{x, y}}) }
func (p *path) cubeTo(a, b, c, d, e, f float64) {
	*p = append(*p, op{'C', []float64{a, b, c, d, e, f}})
}
func (p *path) close() { *p = append(*p, op{'Z', nil}) }

// kappa places cubic control points so that a quarter turn approximates a
// circular arc to within 0.03 % of its radius.
const kappa = 0.5522847498

// roundRect appends a clockwise (in y-down space) rounded rectangle.
func (p *path) roundRect(x0, y0, x1, y1, r float64) {
	k := r * kappa
	p.moveTo(x0+r, y0)
	p.lineTo(x1-r, y0)
	p.cubeTo(x1-r+k, y0, x1, y0+r-k, x1, y0+r)
	p.lineTo(x1, y1-r)
	p.cubeTo(x1, y1-r+k, x1-r+k, y1, x1-r, y1)
	p.lineTo(x0+r, y1)
	p.cubeTo(x0+r-k, y1, x0, y1-r+k, x0, y1-r)
	p.lineTo(x0, y0+r)
	p.cubeTo(x0, y0+r-k, x0+r-k, y0, x0+r, y0)
	p.close()
}

// circle appends a clockwise circle.
func (p *path) circle(cx, cy, r float64) {
	k := r * kappa
	p.moveTo(cx, cy-r)
	p.cubeTo(cx+k, cy-r, cx+r, cy-k, cx+r, cy)
	p.cubeTo(cx+r, cy+k, cx+k, cy+r, cx, cy+r)
	p.cubeTo(cx-k, cy+r, cx-r, cy+k, cx-r, cy)
	p.cubeTo(cx-r, cy-k, cx-k, cy-r, cx, cy-r)
	p.close()
}

// bubble is a rounded body with a curved tail at a bottom corner. The tail
// is described as if it pointed left: it leaves the bottom edge between
// x=ax (outer) and x=bx (inner) and ends at (tx, ty). mirror flips it to
// the right-hand corner, about the body's vertical centre line.
type bubble struct {
	x0, y0, x1, y1, r float64
	ax, bx            float64
	tx, ty            float64
	mirror            bool
}

// path returns the bubble grown by grow on every side (the gap ring uses
// this); both subpaths wind the same way so they union.
func (b bubble) path(grow float64) path {
	var p path
	p.roundRect(b.x0-grow, b.y0-grow, b.x1+grow, b.y1+grow, b.r+grow)
	// The tail starts inside the body (so the union has no seam), runs
	// down the inner side, sweeps out to the tip along a full curve and
	// comes back under the corner along a tighter one.
	in := b.y1 - b.r*0.6
	bot := b.y1 + grow
	h := b.ty - bot
	tail := []float64{
		b.bx + grow, in,
		b.bx + grow, bot,
		b.bx, bot + h*0.35, b.tx + (b.bx-b.tx)*0.3, b.ty, b.tx - grow, b.ty + grow*0.5,
		b.tx + (b.ax-b.tx)*0.55, b.ty - h*0.35, b.ax, bot - h*0.1, b.ax - grow, in,
	}
	if b.mirror {
		for i := 0; i < len(tail); i += 2 {
			tail[i] = b.x0 + b.x1 - tail[i]
		}
		tail = reverse(tail)
	}
	p.moveTo(tail[0], tail[1])
	p.lineTo(tail[2], tail[3])
	p.cubeTo(tail[4], tail[5], tail[6], tail[7], tail[8], tail[9])
	p.cubeTo(tail[10], tail[11], tail[12], tail[13], tail[14], tail[15])
	p.close()
	return p
}

// reverse runs the tail outline backwards, which a mirror needs to keep
// the winding the body has. The outline is P0, line to P1, cubic (P2, P3)
// to P4, cubic (P5, P6) to P7, close; backwards it is P0, line to P7,
// cubic (P6, P5) to P4, cubic (P3, P2) to P1, close: the same shape.
func reverse(t []float64) []float64 {
	r := make([]float64, 0, len(t))
	for _, i := range []int{0, 7, 6, 5, 4, 3, 2, 1} {
		r = append(r, t[2*i], t[2*i+1])
	}
	return r
}

// The two bubbles and the dots, in design units.
var (
	backBubble = bubble{
		x0: 368, y0: 134, x1: 888, y1: 484, r: 150,
		ax: 462, bx: 596, tx: 351, ty: 604, mirror: true,
	}
	frontBubble = bubble{
		x0: 136, y0: 424, x1: 656, y1: 804, r: 180,
		ax: 230, bx: 400, tx: 152, ty: 924,
	}
	dotY     = 614.0
	dotR     = 46.0
	dotXs    = []float64{260, 396, 532}
	tileRect = [4]float64{0, 0, Canvas, Canvas}
)

// layer is one filled shape and how it is painted.
type layer struct {
	name     string
	shape    path
	fill     color.NRGBA
	gradient bool // paint with the tile gradient instead of fill
}

func layers() []layer {
	var tile, dots path
	tile.roundRect(tileRect[0], tileRect[1], tileRect[2], tileRect[3], TileRadius)
	for _, x := range dotXs {
		dots.circle(x, dotY, dotR)
	}
	return []layer{
		{name: "tile", shape: tile, gradient: true},
		{name: "back", shape: backBubble.path(0), fill: Back},
		// The gap: the front bubble grown by Gap, painted in the tile's
		// own gradient so it reads as background, not as an outline.
		{name: "gap", shape: frontBubble.path(Gap), gradient: true},
		{name: "front", shape: frontBubble.path(0), fill: Front},
		{name: "dots", shape: dots, fill: Dot},
	}
}

// gradient paints the tile's vertical gradient into a size×size image.
func gradient(size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		t := (float64(y) + 0.5) / float64(size)
		mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
		c := color.RGBA{mix(TileTop.R, TileBottom.R), mix(TileTop.G, TileBottom.G), mix(TileTop.B, TileBottom.B), 0xff}
		for x := 0; x < size; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// Render draws the icon at size×size pixels, straight from the vectors
// (not by downscaling a big bitmap), so small sizes stay crisp. It panics
// if size is not positive: sizes come from code, never from users.
func Render(size int) *image.NRGBA {
	if size <= 0 {
		panic(fmt.Sprintf("art: invalid icon size %d", size))
	}
	b := image.Rect(0, 0, size, size)
	dst := image.NewRGBA(b)
	grad := gradient(size)
	mask := image.NewAlpha(b)
	z := vector.NewRasterizer(size, size)
	s := float32(size) / Canvas
	for _, l := range layers() {
		z.Reset(size, size)
		for _, o := range l.shape {
			switch o.verb {
			case 'M':
				z.MoveTo(s*float32(o.pts[0]), s*float32(o.pts[1]))
			case 'L':
				z.LineTo(s*float32(o.pts[0]), s*float32(o.pts[1]))
			case 'C':
				z.CubeTo(s*float32(o.pts[0]), s*float32(o.pts[1]), s*float32(o.pts[2]),
					s*float32(o.pts[3]), s*float32(o.pts[4]), s*float32(o.pts[5]))
			case 'Z':
				z.ClosePath()
			}
		}
		clear(mask.Pix)
		z.Draw(mask, b, image.Opaque, image.Point{})
		var src image.Image = image.NewUniform(l.fill)
		if l.gradient {
			src = grad
		}
		draw.DrawMask(dst, b, src, image.Point{}, mask, image.Point{}, draw.Over)
	}
	out := image.NewNRGBA(b)
	draw.Draw(out, b, dst, image.Point{}, draw.Src)
	return out
}

// SVG returns the icon as a standalone SVG document in design units.
func SVG() []byte {
	var b bytes.Buffer
	hex := func(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n",
		Canvas, Canvas, Canvas, Canvas)
	b.WriteString("  <!-- Generated by tools/icongen from internal/art; edit there. -->\n")
	fmt.Fprintf(&b, `  <defs><linearGradient id="tile-gradient" x1="0" y1="0" x2="0" y2="%d" gradientUnits="userSpaceOnUse">`+
		`<stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient></defs>`+"\n",
		Canvas, hex(TileTop), hex(TileBottom))
	for _, l := range layers() {
		fill := hex(l.fill)
		if l.gradient {
			fill = "url(#tile-gradient)"
		}
		fmt.Fprintf(&b, `  <path id="%s" fill="%s" d="`, l.name, fill)
		for i, o := range l.shape {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(o.verb)
			for _, v := range o.pts {
				fmt.Fprintf(&b, " %s", trim(v))
			}
		}
		b.WriteString(`"/>` + "\n")
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// trim prints v with at most two decimals and no trailing zeros.
func trim(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
