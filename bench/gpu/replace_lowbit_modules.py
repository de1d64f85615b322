"""Remakes the low-bit TorchScript modules on the device and puts them into the kit's quantizer jar.

The modules (lowbit_linear.pt, int8_to_fp8.pt, lowbit_act_quant.pt, lowbit_matmul.pt) are committed resources made on a GPU machine by
quantizer/scripts/make_lowbit_modules.py. When the ops library or the module changes, the kit's jar
still holds the committed ones; this remakes them against the freshly built library (checking them
against the eager definition, as that script does), copies them to OUT_DIR for committing, and
rewrites the jar's entries so that the JVMs of the same device call run them.

    python3 bench/gpu/replace_lowbit_modules.py LIB QV_DIR OUT_DIR
"""
import glob
import os
import subprocess
import sys
import zipfile

lib, qv, out = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
scripts = os.path.join(here, "..", "..", "quantizer", "scripts")
subprocess.run([sys.executable, "make_lowbit_modules.py", "--lib", lib, "--out", out], cwd=scripts, check=True)
jars = glob.glob(os.path.join(qv, "jars", "lib", "quantizer-*.jar"))
assert len(jars) == 1, jars
jar = jars[0]
prefix = "dev/qvgen/quantizer/deploy/"
new = {n: os.path.join(out, n) for n in ("lowbit_linear.pt", "int8_to_fp8.pt", "lowbit_act_quant.pt",
                                          "lowbit_matmul.pt")}
tmp = jar + ".new"
replaced = []
with zipfile.ZipFile(jar) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        base = item.filename[len(prefix):] if item.filename.startswith(prefix) else None
        if base in new:
            with open(new[base], "rb") as f:
                zout.writestr(item, f.read())
            replaced.append(base)
        else:
            zout.writestr(item, zin.read(item.filename))
    # modules the jar was built without (made first on this device)
    for base in sorted(set(new) - set(replaced)):
        with open(new[base], "rb") as f:
            zout.writestr(prefix + base, f.read())
        replaced.append(base + " (added)")
os.replace(tmp, jar)
print("replaced in", os.path.basename(jar), ":", ", ".join(replaced))
