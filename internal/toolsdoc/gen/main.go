// Command gen rewrites the bundled-tools table of README.md; run it with
// `go generate ./internal/toolsdoc`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/easel-mcp/easel/internal/toolsdoc"
)

func main() {
	readme := flag.String("readme", "README.md", "the README to update")
	plugins := flag.String("plugins", "plugins", "the folder of bundled plugins")
	flag.Parse()
	if err := run(*readme, *plugins); err != nil {
		fmt.Fprintln(os.Stderr, "toolsdoc:", err)
		os.Exit(1)
	}
}

func run(readme, plugins string) error {
	table, err := toolsdoc.Table(plugins)
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := toolsdoc.Replace(string(doc), table)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	return os.WriteFile(readme, []byte(updated), 0o644)
}
