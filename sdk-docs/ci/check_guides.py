"""Checks that the guides' code blocks are the samples CI runs.

Every fenced block in sdk-docs/*.md opens with a language and, for code a reader
would run, the sample it comes from:

    ```sh samples/quickstart.sh
    ...lines copied verbatim from sdk-docs/samples/quickstart.sh...
    ```

Such a block must appear, line for line, in that file. A block of code with no
sample must say `norun` (what CI does its own way, e.g. starting the hub); blocks
of output or data (`text`, `json`, `http`, `markdown`) need nothing.

    python3 check_guides.py SDK_DOCS_DIR RAN_LIST

RAN_LIST names, one a line, the sample files CI ran (paths under sdk-docs/). Fails
when a block differs from its sample, names a sample CI did not run, or when a
sample CI ran appears in no guide.
"""

import pathlib
import re
import sys

OUTPUT_LANGS = {"text", "json", "http", "console", "markdown"}
FENCE = re.compile(r"^(```+)(.*)$")


def blocks(path):
    """(line number, info words, content lines) of each fenced block."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info, start = match.group(1), match.group(2).split(), i + 1
        end = start
        while end < len(lines) and lines[end] != fence:
            end += 1
        if end == len(lines):
            sys.exit(f"{path.name}:{i + 1}: unclosed code block")
        yield i + 1, info, lines[start:end]
        i = end + 1


def contains(haystack, needle):
    return any(haystack[k:k + len(needle)] == needle for k in range(len(haystack) - len(needle) + 1))


def main(docs, ran_list):
    docs = pathlib.Path(docs)
    ran = {line.strip() for line in open(ran_list, encoding="utf-8") if line.strip()}
    problems, referenced, counts = [], set(), {"sample": 0, "norun": 0, "output": 0}
    for guide in sorted(docs.glob("*.md")):
        for line, info, content in blocks(guide):
            where = f"{guide.name}:{line}"
            samples = [word for word in info[1:] if word.startswith("samples/")]
            if samples:
                counts["sample"] += 1
                sample = samples[0]
                file = docs / sample
                referenced.add(sample)
                if not file.is_file():
                    problems.append(f"{where}: {sample} does not exist")
                elif not contains(file.read_text(encoding="utf-8").split("\n"), content):
                    problems.append(f"{where}: this block is not a verbatim part of {sample}")
                if sample not in ran:
                    problems.append(f"{where}: {sample} is not among the samples CI runs")
            elif "norun" in info[1:]:
                counts["norun"] += 1
            elif info and info[0] in OUTPUT_LANGS:
                counts["output"] += 1
            else:
                problems.append(f"{where}: a code block needs a sample path, `norun`, or an output language")
    for sample in sorted(ran - referenced):
        problems.append(f"{sample}: CI runs it but no guide shows it")
    for problem in problems:
        print(f"guides: {problem}")
    print(f"guides: {counts['sample']} blocks from {len(referenced)} samples, "
          f"{counts['norun']} marked norun, {counts['output']} of output")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
