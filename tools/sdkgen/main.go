// Command sdkgen writes the calico package's SDKs from its schema, offline, with Pulumi's own code
// generators (pkg/v3/codegen), as `pulumi package gen-sdk` would through language hosts this
// machine cannot build. Usage: sdkgen SCHEMA.json OUTDIR [nodejs|python|go]...
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader loads no other package: the calico schema refers to none.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("package %q is not available offline", pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("package %q is not available offline", d.Name)
}

func (noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("package %q is not available offline", pkg)
}

func (noLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, fmt.Errorf("package %q is not available offline", d.Name)
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen SCHEMA.json OUTDIR LANGUAGE...")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	check(err)
	for _, lang := range os.Args[3:] {
		// Each generator annotates the package it is given, so each binds its own.
		var spec schema.PackageSpec
		check(json.Unmarshal(text, &spec))
		pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
		check(err)
		if diags.HasErrors() {
			fmt.Fprintln(os.Stderr, diags.Error())
			os.Exit(1)
		}
		var files map[string][]byte
		switch lang {
		case "nodejs":
			files, err = nodejsgen.GeneratePackage("calico-bgppeer sdkgen", pkg, nil, nil, true, noLoader{})
		case "python":
			files, err = pythongen.GeneratePackage("calico-bgppeer sdkgen", pkg, nil, noLoader{})
		case "go":
			files, err = gogen.GeneratePackage("calico-bgppeer sdkgen", pkg, nil)
		default:
			err = fmt.Errorf("unknown language %q", lang)
		}
		check(err)
		for name, content := range files {
			out := filepath.Join(os.Args[2], lang, name)
			check(os.MkdirAll(filepath.Dir(out), 0o755))
			check(os.WriteFile(out, content, 0o644))
		}
		fmt.Printf("%s: %d files\n", lang, len(files))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}
