package pin

import (
	_ "embed"
	"strings"
	"sync"
)

// words.txt holds 1,024 words, one a line, chosen from the EFF large
// diceware list (CC BY 3.0, Electronic Frontier Foundation, 2016,
// https://www.eff.org/dice) by internal/genwords: words of four to six
// letters whose first three letters no earlier word shares. EFF chose its
// words to be easy to say, hear and spell.
//
//go:generate go run ./internal/genwords -out words.txt
//go:embed words.txt
var wordsTxt string

// wordList returns the embedded words, split once.
var wordList = sync.OnceValue(func() []string {
	return strings.Fields(wordsTxt)
})
