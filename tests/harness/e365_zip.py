"""Reads and rewrites .e365 packages with Python's zipfile: a ZIP reader and writer that the build
(scripts/e365.js) did not write. Used by tests/harness/e365-check.js.

  python3 e365_zip.py read FILE
      prints JSON: {"entries": [{"name", "method", "size"}], "files": {name: text}, "nested": {name.zip:
      {"entries": [...], "files": {name: text}}}}; each entry is read in full, so a bad CRC fails here.
  python3 e365_zip.py rewrite IN OUT
      reads {"name.zip": {"path": text or null}, "": {"package.json": text or null}} on stdin and writes OUT: IN
      with those files of the nested ZIPs ("" for the outer one) replaced, added, or deleted (null), for tests that
      break a copy on purpose.
"""
import io
import json
import sys
import zipfile


def entries(z):
    return [{"name": i.filename, "method": i.compress_type, "size": i.file_size} for i in z.infolist()]


def texts(z):
    out = {}
    for name in z.namelist():
        data = z.read(name)  # checks the CRC
        if not name.endswith(".zip"):
            out[name] = data.decode("utf-8")
    return out


def read(path):
    with zipfile.ZipFile(path) as outer:
        nested = {}
        for name in outer.namelist():
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(outer.read(name))) as inner:
                    nested[name] = {"entries": entries(inner), "files": texts(inner)}
        return {"entries": entries(outer), "files": texts(outer), "nested": nested}


def rewrite(src, dst, edits):
    def copy(z_in, z_out, changes):
        names = z_in.namelist()
        for name in names:
            if name in changes:
                if changes[name] is not None:
                    z_out.writestr(name, changes[name].encode("utf-8"))
            else:
                z_out.writestr(z_in.getinfo(name), z_in.read(name))
        for name, text in changes.items():
            if name not in names and text is not None:
                z_out.writestr(name, text.encode("utf-8"))

    with zipfile.ZipFile(src) as outer, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name in outer.namelist():
            if name.endswith(".zip") and name in edits:
                buf = io.BytesIO()
                with zipfile.ZipFile(io.BytesIO(outer.read(name))) as inner, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as new:
                    copy(inner, new, edits[name])
                out.writestr(name, buf.getvalue())
            elif name in edits.get("", {}):
                if edits[""][name] is not None:
                    out.writestr(name, edits[""][name].encode("utf-8"))
            else:
                out.writestr(outer.getinfo(name), outer.read(name))


if __name__ == "__main__":
    if sys.argv[1] == "read":
        json.dump(read(sys.argv[2]), sys.stdout)
    elif sys.argv[1] == "rewrite":
        rewrite(sys.argv[2], sys.argv[3], json.load(sys.stdin))
    else:
        sys.exit("usage: e365_zip.py read FILE | rewrite IN OUT < edits.json")
