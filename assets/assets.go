// Package assets holds Parley's app icon, embedded in the binary.
//
// The icon is drawn by a program, not by hand: internal/art holds
// its geometry and colours, and `go generate ./assets` writes icon.svg
// (the editable vector source), icon.png (1024 px, the packaging icon named
// in FyneApp.toml) and icon-256.png (the run-time icon). The package has no
// Fyne import so that headless builds can link it too; the ui package wraps
// Icon in a fyne.StaticResource.
package assets

import _ "embed" // for the //go:embed directives below

//go:generate go run ../tools/icongen

// IconName is the resource name to give Icon, for example in
// fyne.NewStaticResource(assets.IconName, assets.Icon).
const IconName = "parley.png"

// Icon is the app icon as a 256×256 PNG: the window and notification icon
// at run time. 256 px is plenty for any title bar, task switcher or
// notification and keeps X11's per-window icon property small (the
// 1024 px packaging icon would be 4 MiB there).
//
//go:embed icon-256.png
var Icon []byte
