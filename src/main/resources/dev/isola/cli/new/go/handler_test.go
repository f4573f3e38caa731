package handler

import (
	"net/http/httptest"
	"testing"
)

// Run with: go test ./...
func TestHandleGreetsByName(t *testing.T) {
	rec := httptest.NewRecorder()
	Handle(rec, httptest.NewRequest("GET", "/?name=Isola", nil))
	if rec.Code != 200 || rec.Body.String() != "Hello, Isola!\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}
