package ui

import "fyne.io/fyne/v2/widget"

// HostHistorySwitch is the last Host dialog's "Don't keep history" switch.
func (u *UI) HostHistorySwitch() *widget.Check { return u.hostNoHistory }

// HistoryDir is the folder of the hosted chat's history.
func (u *UI) HistoryDir() string { return u.historyDir() }

// WaitHostStopped waits until the last hosted chat has stopped and closed
// its history.
func (u *UI) WaitHostStopped() { u.waitHostStopped() }
