#!/usr/bin/env bash
# The GPU figures in bench/README.md, as taken on a lent CUDA machine with no network.
#   bash bench/gpu/run_on_device.sh CARRY_DIR OUT_DIR STAGE...   (stages: smoke tests ann text photo)
# CARRY_DIR holds wheels (faiss-gpu-cu12 with nvidia-cuda-runtime-cu12 and nvidia-cublas-cu12, pebble,
# platformdirs), minilm/ (the all-MiniLM-L6-v2 folder without its weights: random weights of the same
# shape time the same) and site/ (the photo model packages). The machine's own python3 supplies torch
# and sentence-transformers.
set -u
carry=$1; out=$2; shift 2
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$carry"/*.whl || exit 1
[ -d "$carry/site" ] && cp -r "$carry"/site/* /tmp/site/
export PYTHONPATH=/tmp/site:$PWD/src:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
nvidia-smi -L; nproc
python3 -c "import faiss, torch; print('faiss', faiss.__version__, 'gpus', faiss.get_num_gpus(), 'torch', torch.__version__, torch.cuda.is_available())"
for stage in "$@"; do
  echo "=== $stage"; start=$(date +%s)
  case $stage in
    smoke) timeout 60 python3 bench/gpu/smoke.py 2>&1 | tee "$out/smoke.txt" | grep -v "^  File\|^    " | head -30 ;;
    tests) timeout 300 python3 -m pytest -q -p no:cacheprovider tests/unit/test_gpu.py tests/unit/test_scale.py 2>&1 | tee "$out/tests.txt" | grep -v '^  File' | tail -25 ;;
    ann) for c in none sq8; do
           python3 bench/search_latency.py --vectors 1000000 --dim 384 --queries 500 --compression $c --gpu \
             --batch 10000 $([ $c = none ] && echo --flat-baseline) | tee "$out/ann-$c.json"; done ;;
    text) python3 - "$carry/minilm" /tmp/minilm <<'PY'
import shutil, sys, torch
from transformers import BertConfig, BertModel
shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)
torch.manual_seed(0)
BertModel(BertConfig.from_pretrained(sys.argv[2])).save_pretrained(sys.argv[2])
PY
          for d in cuda cpu; do n=$([ $d = cuda ] && echo 50000 || echo 4000)
            python3 bench/embed_throughput.py --device $d --texts $n --photos 0 --text-model /tmp/minilm | tee "$out/text-$d.json"; done ;;
    photo) for d in cuda cpu; do n=$([ $d = cuda ] && echo 8000 || echo 1000)
            python3 bench/embed_throughput.py --device $d --texts 0 --photos $n | tee "$out/photo-$d.json"; done ;;
  esac
  echo "=== $stage took $(( $(date +%s) - start )) s"
done
