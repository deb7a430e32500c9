package main

import "testing"

func TestSourceDialers(t *testing.T) {
	t.Parallel()
	ds, of, err := sourceDialers(19000, 5000)
	if err != nil || len(ds) != 4 {
		t.Fatalf("sourceDialers(19000, 5000): %d dialers, %v; want 4", len(ds), err)
	}
	if of(0) != ds[0] || of(4999) != ds[0] || of(5000) != ds[1] || of(18999) != ds[3] {
		t.Fatal("connections not spread 5000 per source address")
	}
	if _, _, err := sourceDialers(251*10, 10); err == nil {
		t.Fatal("251 source addresses accepted")
	}
	if ds, _, err := sourceDialers(100, 0); err != nil || len(ds) != 1 {
		t.Fatalf("sourceDialers(100, 0): %d dialers, %v", len(ds), err)
	}
}
