#!/usr/bin/env bash
# Checks that README.md's "Embedding" example compiles and works for an embedder: a fresh Maven
# project (this directory's pom.xml, outside the reactor) that imports io.gantry:gantry-bom and
# depends on io.gantry:proxy-lib only, as installed in the local repository.
#
#   mvn -B -q install -DskipTests && dist/embedding-check/run.sh
#
# The example is not copied: the ```java block of README's "## Embedding" section is extracted
# into target/readme-example/ on every run, so the README and what is checked cannot drift.
# EmbeddingCheck.java starts a real backend and the example's proxy on ephemeral ports, sends
# requests and exits non-zero if anything is off. Fails also when gantry-bom's Jetty or gantry
# version differs from the parent pom's. Takes ~10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
readme="$root/README.md"

fail() { echo "embedding-check: FAILED: $*" >&2; exit 1; }

# The first <tag>value</tag> of a pom, skipping the <parent> block.
pom_value() {
  sed -n '/<parent>/,/<\/parent>/d; s:.*<'"$2"'>\([^<]*\)</'"$2"'>.*:\1:p' "$1" | head -1
}
version=$(pom_value "$root/pom.xml" version)
jetty=$(pom_value "$root/pom.xml" jetty.version)
[ -n "$version" ] && [ -n "$jetty" ] || fail "cannot read version and jetty.version from $root/pom.xml"
[ "$(pom_value "$root/gantry-bom/pom.xml" version)" = "$version" ] \
  || fail "gantry-bom/pom.xml's version is not the parent's $version"
[ "$(pom_value "$root/gantry-bom/pom.xml" jetty.version)" = "$jetty" ] \
  || fail "gantry-bom/pom.xml's jetty.version is not the parent's $jetty"
for property in metrics.version prometheus.version; do
  [ "$(pom_value "$root/gantry-bom/pom.xml" $property)" = "$(pom_value "$root/pom.xml" $property)" ] \
    || fail "gantry-bom/pom.xml's $property is not the parent's"
done

# The ```java block of the Embedding section (up to the next "## " heading) that declares the
# class RegistryFront; the section's other snippets (fragments) are left alone.
out="$here/target/readme-example"
rm -rf "$here/target"
mkdir -p "$out"
awk '
  /^## / { section = ($0 == "## Embedding") }
  section && !inblock && /^```java[[:space:]]*$/ { inblock = 1; block = ""; next }
  section && inblock && /^```[[:space:]]*$/ {
    inblock = 0
    if (!done && block ~ /\npublic (final )?class RegistryFront /) { printf "%s\n", block; done = 1 }
    next
  }
  section && inblock { block = block "\n" $0 }
' "$readme" | sed '1{/^$/d}' > "$out/example.java"
[ -s "$out/example.java" ] \
  || fail "no \`\`\`java block declaring 'public final class RegistryFront' in the '## Embedding' section of $readme (EmbeddingCheck calls its start and startServlet)"
class=RegistryFront
mv "$out/example.java" "$out/$class.java"

cd "$here"
mvn -B -q -Dgantry.version="$version" compile dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime \
  || fail "README's Embedding example (extracted to $out/$class.java) does not compile against the installed proxy-lib $version (did you run mvn install?)"
java -Dgantry.jetty.version="$jetty" -Dorg.eclipse.jetty.LEVEL=WARN -cp "target/classes:$(cat target/classpath.txt)" EmbeddingCheck \
  || fail "README's Embedding example does not work (see above)"
