package events

// Word-at-a-time scanning: the JSON writer and reader spend most of their
// time going over runs of plain ASCII text in strings. These helpers test
// eight bytes at once, as one uint64, for the bytes that need attention,
// with the usual bit tricks. Each test is exact for "is there any such byte
// in the word", which is all the callers ask; which byte it is, they find
// out one byte at a time.

const (
	lowBits  uint64 = 0x0101010101010101
	highBits uint64 = 0x8080808080808080
)

// zeroBytes has the high bit set in (at least) the lowest zero byte of x
// if x has a zero byte, and is 0 if it has none (once masked with
// highBits).
func zeroBytes(x uint64) uint64 { return (x - lowBits) &^ x }

// controlOrHigh has the high bit set in a byte of x that is a control
// character or not ASCII (once masked with highBits): a byte below 0x20
// borrows when 0x20 is taken from it, which sets its high bit; a byte from
// 0x80 up has it set already.
func controlOrHigh(x uint64) uint64 { return (x - lowBits*0x20) | x }

// specialBytes is non-zero when a byte of x is a control character, '"',
// '\\' or not ASCII: the bytes a JSON string reader must look at.
func specialBytes(x uint64) uint64 {
	return (controlOrHigh(x) | zeroBytes(x^lowBits*'"') | zeroBytes(x^lowBits*'\\')) & highBits
}

// escapeBytes is non-zero when a byte of x is one that json.Marshal does
// not copy into a string as it is: the specialBytes and '<', '>' and '&'.
// '<' and '>' differ only in bit 1, and '"' and '&' only in bit 2, so one
// test finds either of a pair.
func escapeBytes(x uint64) uint64 {
	return (controlOrHigh(x) | zeroBytes(x^lowBits*'\\') |
		zeroBytes(x|lowBits*0x02^lowBits*'>') | zeroBytes(x|lowBits*0x04^lowBits*'&')) & highBits
}

// word returns the first eight bytes of s as a little-endian uint64 (the
// compiler makes it one load).
func word[S string | []byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainWords returns the length of the longest prefix of s, in whole words
// of eight bytes, that json.Marshal copies into a string as it is: no
// escapeBytes.
func plainWords(s string) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if escapeBytes(word(s[i:])) != 0 {
			break
		}
	}
	return i
}

// plainWordsBytes returns the length of the longest prefix of b, in whole
// words of eight bytes, with no specialBytes: a prefix of a JSON string's
// content that needs no decoding.
func plainWordsBytes(b []byte) int {
	i := 0
	for ; len(b)-i >= 8; i += 8 {
		if specialBytes(word(b[i:])) != 0 {
			break
		}
	}
	return i
}

// firstControl returns the first byte of s that checkText rejects: an
// ASCII control character other than '\n' and '\t', or DEL (0x7f).
func firstControl(s string) (byte, bool) {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		x := word(s[i:])
		// A byte below 0x20 borrows, as in controlOrHigh, but &^x leaves
		// out the bytes from 0x80 up, which checkText lets pass.
		if ((x-lowBits*0x20)&^x|zeroBytes(x^lowBits*0x7f))&highBits != 0 {
			break // a control character or DEL, maybe an allowed one
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}
