package loadgen

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// The vocabulary of the JSON messages: a page of orders as an API or a
// live feed would send it, with ids, names, prices, nested arrays and
// free text. Every message has the same shape and keys with different
// values, as consecutive messages of real JSON traffic do.
var (
	jsonFirstNames = []string{"Alice", "Bruno", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kavya", "Liam", "Mia", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Yara", "Zane"}
	jsonLastNames = []string{"Moreau", "Silva", "Wang", "Kowalski", "Yilmaz", "Haddad", "Okafor", "Tanaka", "Garcia", "Berg",
		"Iyer", "Murphy", "Rossi", "Schmidt", "Petrova", "Ruiz", "Novak", "Costa", "Larsen", "Nguyen"}
	jsonCities = []struct {
		name     string
		lat, lon float64
	}{
		{"Lyon", 45.7640, 4.8357}, {"Porto", 41.1579, -8.6291}, {"Osaka", 34.6937, 135.5023},
		{"Austin", 30.2672, -97.7431}, {"Krakow", 50.0647, 19.9450}, {"Nairobi", -1.2921, 36.8219},
		{"Leipzig", 51.3397, 12.3731}, {"Valparaiso", -33.0472, -71.6127}, {"Pune", 18.5204, 73.8567},
		{"Halifax", 44.6488, -63.5752},
	}
	jsonStatuses   = []string{"pending", "paid", "packed", "shipped", "delivered", "cancelled", "refunded"}
	jsonCurrencies = []string{"EUR", "USD", "GBP", "JPY", "PLN"}
	jsonTags       = []string{"priority", "gift", "b2b", "returning", "promo", "express", "fragile",
		"international", "subscription", "wholesale"}
	jsonNoteWords = []string{"customer", "asked", "for", "delivery", "before", "noon", "please", "leave", "the",
		"parcel", "at", "front", "door", "call", "on", "arrival", "invoice", "attached", "thanks", "again"}
)

const (
	jsonHead = `{"type":"orders.page","seq":`
	jsonTail = `],"note":""}` // the note's text goes between the last quotes
)

// JSONMessage returns message n of a deterministic series of JSON
// documents of exactly size bytes (ASCII, so valid text): a page of order
// records, each with ids, a nested user object, prices, an array of order
// lines and tags, closed by a free-text note that pads the document to
// size. Messages of the series share their shape and keys and differ in
// their values. Sizes too small for one record give a document with none;
// sizes too small for that (about 100 bytes) give Payload(size), which is
// not JSON.
func JSONMessage(size, n int) []byte {
	rng := rand.New(rand.NewPCG(0x6a736f6e, uint64(n)))
	buf := make([]byte, 0, size)
	buf = append(buf, jsonHead...)
	buf = strconv.AppendInt(buf, int64(1000+n), 10)
	buf = append(buf, `,"page":{"cursor":"c`...)
	buf = strconv.AppendUint(buf, rng.Uint64()>>32, 16)
	buf = append(buf, `","more":true},"orders":[`...)
	if len(buf)+len(jsonTail) > size {
		return Payload(size)
	}
	var rec []byte
	for first := true; ; first = false {
		rec = appendOrder(rec[:0], rng)
		need := len(rec) + len(jsonTail)
		if !first {
			need++ // the comma
		}
		if len(buf)+need > size {
			break
		}
		if !first {
			buf = append(buf, ',')
		}
		buf = append(buf, rec...)
	}
	// The note fills what is left, between its quotes.
	buf = append(buf, jsonTail[:len(jsonTail)-2]...)
	for room := size - len(buf) - 2; room > 0; {
		w := jsonNoteWords[rng.IntN(len(jsonNoteWords))]
		if len(buf) > 0 && buf[len(buf)-1] != '"' {
			w = " " + w
		}
		w = w[:min(len(w), room)]
		buf = append(buf, w...)
		room -= len(w)
	}
	return append(buf, `"}`...)
}

// appendOrder appends one order record.
func appendOrder(b []byte, rng *rand.Rand) []byte {
	first := jsonFirstNames[rng.IntN(len(jsonFirstNames))]
	last := jsonLastNames[rng.IntN(len(jsonLastNames))]
	city := jsonCities[rng.IntN(len(jsonCities))]
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, 4_000_000+rng.Int64N(1_000_000), 10)
	b = append(b, `,"user":{"id":`...)
	b = strconv.AppendInt(b, 10_000+rng.Int64N(90_000), 10)
	b = append(b, `,"name":"`...)
	b = append(b, first...)
	b = append(b, ' ')
	b = append(b, last...)
	b = append(b, `","email":"`...)
	b = append(b, strings.ToLower(first)...)
	b = append(b, '.')
	b = append(b, strings.ToLower(last)...)
	b = append(b, `@example.com","city":"`...)
	b = append(b, city.name...)
	b = append(b, `","geo":[`...)
	b = strconv.AppendFloat(b, city.lat+rng.Float64()/50, 'f', 4, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, city.lon+rng.Float64()/50, 'f', 4, 64)
	b = append(b, `]},"status":"`...)
	b = append(b, jsonStatuses[rng.IntN(len(jsonStatuses))]...)
	b = append(b, `","currency":"`...)
	b = append(b, jsonCurrencies[rng.IntN(len(jsonCurrencies))]...)
	b = append(b, `","lines":[`...)
	total := 0
	for i := range 1 + rng.IntN(3) {
		if i > 0 {
			b = append(b, ',')
		}
		qty, cents := 1+rng.IntN(4), 199+rng.IntN(20_000)
		total += qty * cents
		b = append(b, `{"sku":"SKU-`...)
		b = strconv.AppendInt(b, 10_000+rng.Int64N(90_000), 10)
		b = append(b, `","qty":`...)
		b = strconv.AppendInt(b, int64(qty), 10)
		b = append(b, `,"price":`...)
		b = appendCents(b, cents)
		b = append(b, '}')
	}
	b = append(b, `],"total":`...)
	b = appendCents(b, total)
	b = append(b, `,"tags":[`...)
	for i := range rng.IntN(3) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, jsonTags[rng.IntN(len(jsonTags))]...)
		b = append(b, '"')
	}
	b = append(b, `],"created":"2026-`...)
	b = appendTwo(b, 1+rng.IntN(12))
	b = append(b, '-')
	b = appendTwo(b, 1+rng.IntN(28))
	b = append(b, 'T')
	b = appendTwo(b, rng.IntN(24))
	b = append(b, ':')
	b = appendTwo(b, rng.IntN(60))
	b = append(b, ':')
	b = appendTwo(b, rng.IntN(60))
	b = append(b, `Z","paid":`...)
	b = strconv.AppendBool(b, rng.IntN(4) != 0)
	return append(b, '}')
}

func appendCents(b []byte, cents int) []byte {
	b = strconv.AppendInt(b, int64(cents/100), 10)
	b = append(b, '.')
	return appendTwo(b, cents%100)
}

func appendTwo(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
