"""Whether the CUDA text encoder and a busy Python thread can run at once: a pure-Python counter on the
main thread, alone and while another thread embeds 16,000 passages (each side's rate), then a profile of
the encoder alone.   python3 bench/gpu/gil_check.py MINILM_FOLDER_WITHOUT_WEIGHTS"""
import random, shutil, sys, threading, time
import torch
from transformers import BertConfig, BertModel
shutil.copytree(sys.argv[1], "/tmp/mini", dirs_exist_ok=True)
torch.manual_seed(0)
BertModel(BertConfig.from_pretrained("/tmp/mini")).save_pretrained("/tmp/mini")
from localsearch.core.embed.sentence import SentenceEmbedder
e = SentenceEmbedder("/tmp/mini", "x", "cuda", batch_size=256)
vocab = [w for w in open("/tmp/mini/vocab.txt").read().split() if w.isalpha() and len(w) > 2]
rng = random.Random(7)
texts = [" ".join(rng.choice(vocab) for _ in range(120)) for _ in range(16000)]
e.embed_texts(texts[:600])
def count(seconds):
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        n += 1
    return n
alone = count(2.0) / 2.0
for step in (512, 16000):
    done = threading.Event()
    def work():
        t = time.perf_counter()
        for i in range(0, len(texts), step):
            e.embed_texts(texts[i:i + step])
        work.s = time.perf_counter() - t
        done.set()
    t0 = time.perf_counter(); th = threading.Thread(target=work); th.start()
    n = 0
    while not done.is_set():
        n += count(0.05)
    th.join(); busy = time.perf_counter() - t0
    print(f"step {step}: encoder {len(texts)/work.s:.0f}/s alone-ish; main thread got {n/busy/alone:.2f} of its solo rate")
t = time.perf_counter(); e.embed_texts(texts); print("encoder alone", round(len(texts)/(time.perf_counter()-t)), "/s")
import cProfile, pstats
pr = cProfile.Profile(); pr.enable()
for i in range(0, 8192, 512): e.embed_texts(texts[i:i+512])
pr.disable(); pstats.Stats(pr).sort_stats("tottime").print_stats(18)
