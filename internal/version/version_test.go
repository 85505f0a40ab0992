package version

import "testing"

func TestStringPrefersTheStampedVersion(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.8.7"
	if got := String(); got != "v9.8.7" {
		t.Fatalf("String() = %q, want the stamped v9.8.7", got)
	}
	Version = ""
	if got := String(); got == "" {
		t.Fatal("String() is empty without a stamped version; want devel or the module version")
	}
}
