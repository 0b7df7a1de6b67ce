package ui

// RememberingApp exposes rememberingApp to the window tests.
var RememberingApp = rememberingApp
