// Package discovery announces a Parley chat on the local network and finds
// the chats others announce, with multicast DNS service discovery
// (DNS-SD over mDNS, RFC 6762 and 6763) under the service type
// _parley._tcp. The multicast DNS itself is github.com/brutella/dnssd's;
// docs/DISCOVERY.md says why that library.
//
// An announcement carries the room's name, the protocol version and the
// number of people in a TXT record (Info), updated as people come and go
// at most once every few seconds, and ends with a goodbye packet so that
// listings disappear at once.
package discovery

import (
	"maps"
	"sort"
	"strconv"
	"strings"
)

// ServiceType is the DNS-SD service type of a Parley chat.
const ServiceType = "_parley._tcp"

// TXT record keys. Keys are short because every announcement carries them
// (RFC 6763 §6.2 asks for small records).
const (
	keyRoom        = "room"
	keyVersion     = "v"
	keyPeople      = "people"
	keyPassword    = "pw"
	keyFingerprint = "fp"
)

// maxValue bounds a TXT value: a TXT string holds at most 255 bytes, key
// and "=" included.
const maxValue = 200

// Info is what a chat's announcement says about it.
type Info struct {
	// Room is the room's name.
	Room string
	// Version is the protocol version the server speaks (wire.Version).
	Version int
	// People is how many people are in the room.
	People int
	// Password says the room needs a password to join, so that a
	// window asks for it before connecting.
	Password bool
	// Fingerprint is the server's TLS key as a join link carries it
	// (pin.Fingerprint.String()); empty when the chat is not encrypted.
	Fingerprint string
	// Extra holds keys this version does not know, kept so that a newer
	// host's fields survive being read and shown.
	Extra map[string]string
}

// TXT encodes the info as TXT key/value pairs. Optional fields that are
// unset are left out.
func (i Info) TXT() map[string]string {
	m := make(map[string]string, 5+len(i.Extra))
	for k, v := range i.Extra {
		m[k] = v
	}
	m[keyRoom] = clip(i.Room)
	m[keyVersion] = strconv.Itoa(i.Version)
	m[keyPeople] = strconv.Itoa(max(i.People, 0))
	if i.Password {
		m[keyPassword] = "1"
	}
	if i.Fingerprint != "" {
		m[keyFingerprint] = clip(i.Fingerprint)
	}
	return m
}

// ParseTXT reads what TXT encodes. Keys are matched without regard to case
// (RFC 6763 §6.4); numbers that do not parse read as 0 and unknown keys go
// to Extra. It never fails: a listing shows what it can.
func ParseTXT(txt map[string]string) Info {
	var i Info
	for k, v := range txt {
		switch strings.ToLower(k) {
		case keyRoom:
			i.Room = v
		case keyVersion:
			i.Version, _ = strconv.Atoi(v)
		case keyPeople:
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				i.People = n
			}
		case keyPassword:
			i.Password = v == "1" || strings.EqualFold(v, "true")
		case keyFingerprint:
			i.Fingerprint = v
		default:
			if i.Extra == nil {
				i.Extra = map[string]string{}
			}
			i.Extra[k] = v
		}
	}
	return i
}

// equal reports whether two infos say the same.
func (i Info) equal(j Info) bool {
	return i.Room == j.Room && i.Version == j.Version && i.People == j.People &&
		i.Password == j.Password && i.Fingerprint == j.Fingerprint && maps.Equal(i.Extra, j.Extra)
}

// clip shortens s to maxValue bytes at a character boundary.
func clip(s string) string {
	if len(s) <= maxValue {
		return s
	}
	cut := maxValue
	for cut > 0 && !isStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isStart(b byte) bool { return b&0xC0 != 0x80 }

// sortServices orders a listing by room, then instance name.
func sortServices(list []Service) {
	sort.Slice(list, func(a, b int) bool {
		if list[a].Info.Room != list[b].Info.Room {
			return list[a].Info.Room < list[b].Info.Room
		}
		return list[a].Instance < list[b].Instance
	})
}
