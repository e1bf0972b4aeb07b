#!/usr/bin/env bash
# The GPU figures in bench/README.md, as taken on a lent CUDA machine with no network.
#   bash bench/gpu/run_on_device.sh CARRY_DIR OUT_DIR STAGE...
# stages: setup (or lite: faiss-cpu, for feed alone) smoke tests feed ann text photo
# CARRY_DIR holds wheels (nvidia-cuda-runtime-cu12, pebble, platformdirs, tantivy, pystemmer, xxhash),
# faiss-gpu's wheel in three parts (fg.part0..2, fg.sha256), cublas.part0..3 (nvidia-cublas-cu12's two libraries as one zstd tar, split to travel 64 MiB at a
# time, with cublas.sha256) and minilm/ (the all-MiniLM-L6-v2 folder without its weights: random weights
# of the same shape time the same). The machine's own python3 supplies torch and sentence-transformers.
set -u
carry=$1; out=$2; shift 2
site=/tmp/site
export PYTHONPATH=$site:$PWD/src:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
export LD_LIBRARY_PATH=$site/nvidia/cublas/lib:$site/nvidia/cuda_runtime/lib:${LD_LIBRARY_PATH:-}
for stage in "$@"; do
  echo "=== $stage"; start=$(date +%s)
  case $stage in
    setup)
      # faiss-gpu (1.15.1: sm_90 kernels; faiss-gpu-cu12 1.14.1 has sm_70/sm_80 only and fails on an H100)
      # travels split in fg.part0..2 with fg.sha256
      whl=faiss_gpu-1.15.1-cp310-abi3-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
      cat "$carry"/fg.part? > "/tmp/$whl" && echo "$(cat "$carry"/fg.sha256)  /tmp/$whl" | sha256sum -c || exit 1
      python3 -m pip install -q --no-index --no-deps --no-compile --target $site "$carry"/*.whl "/tmp/$whl" || exit 1
      cat "$carry"/cublas.part? > /tmp/cublas.tar.zst
      echo "$(cat "$carry"/cublas.sha256)  /tmp/cublas.tar.zst" | sha256sum -c || exit 1
      if command -v zstd >/dev/null; then zstd -dc /tmp/cublas.tar.zst | tar x -C $site
      else python3 -c "import sys, zstandard; zstandard.ZstdDecompressor().copy_stream(open(sys.argv[1], 'rb'), sys.stdout.buffer)" /tmp/cublas.tar.zst | tar x -C $site; fi
      ls -la $site/nvidia/cublas/lib
      # faiss-gpu's import loads nvidia.curand's libcurand.so.10: the machine's CUDA 13 one has that soname
      curand=$(find / -name 'libcurand.so.10*' -not -path '/proc/*' 2>/dev/null | head -1)
      mkdir -p $site/nvidia/curand/lib && ln -sf "$curand" $site/nvidia/curand/lib/libcurand.so.10
      python3 - "$carry/minilm" /tmp/minilm <<'PY'
import shutil, sys, torch
from transformers import BertConfig, BertModel
shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)
torch.manual_seed(0)
BertModel(BertConfig.from_pretrained(sys.argv[2])).save_pretrained(sys.argv[2])
PY
      nvidia-smi -L; nproc
      python3 -c "import faiss, torch; print('faiss', faiss.__version__, 'gpus', faiss.get_num_gpus(), 'torch', torch.__version__, torch.cuda.is_available())" ;;
    lite)  # for `feed` alone: faiss-cpu and the small wheels from CARRY_DIR, no cuBLAS
      python3 -m pip install -q --no-index --no-deps --no-compile --target $site "$carry"/*.whl || exit 1
      python3 - "$carry/minilm" /tmp/minilm <<'PY'
import shutil, sys, torch
from transformers import BertConfig, BertModel
shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)
torch.manual_seed(0)
BertModel(BertConfig.from_pretrained(sys.argv[2])).save_pretrained(sys.argv[2])
PY
      ;;
    smoke) timeout 120 python3 bench/gpu/smoke.py 2>&1 | tee "$out/smoke.txt" | tail -30 ;;
    tests) timeout 300 python3 -m pytest -q -p no:cacheprovider tests/unit/test_gpu.py tests/unit/test_scale.py 2>&1 | tee "$out/tests.txt" | grep -v '^  File' | tail -25 ;;
    feed) timeout 420 python3 bench/pipeline_feed.py --device cuda --docs ${FEED_DOCS:-4000} --rounds 3 --text-model /tmp/minilm | tee "$out/feed-cuda.json" ;;
    ann) for c in none sq8; do
           timeout 280 python3 bench/search_latency.py --vectors 1000000 --dim 384 --queries 500 --compression $c --gpu \
             --batch 10000 $([ $c = none ] && echo --flat-baseline) | tee "$out/ann-$c.json"; done ;;
    text) for d in cuda cpu; do n=$([ $d = cuda ] && echo 50000 || echo 4000)
            python3 bench/embed_throughput.py --device $d --texts $n --photos 0 --text-model /tmp/minilm | tee "$out/text-$d.json"; done ;;
    photo) for d in cuda cpu; do n=$([ $d = cuda ] && echo 8000 || echo 1000)
            python3 bench/embed_throughput.py --device $d --texts 0 --photos $n | tee "$out/photo-$d.json"; done ;;
  esac
  echo "=== $stage took $(( $(date +%s) - start )) s"
done
