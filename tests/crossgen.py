"""A tiny, randomly initialised cross-encoder saved as a local model folder: plumbing, offline, not quality.

Its relevance is arbitrary but deterministic; tests/integration/test_rerank.py learns a bias into
it (one step of training on one pair) when it needs a known preference.
"""

import inspect
from pathlib import Path

WORDS = ("the a of to and in is for on with rent monthly landlord invoice passport boiler heating garden "
         "recipe cake chocolate flight lisbon voucher tax receipt").split()


def tiny_cross_encoder(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *letters, *("##" + c for c in letters)]
    words = list(dict.fromkeys(vocab))
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters:  # transformers 5 takes the words
        tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
    else:  # transformers 4 reads them from the file
        tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    assert tokenizer.unk_token_id not in tokenizer("monthly rent")["input_ids"], "the tokenizer lost its words"
    config = BertConfig(vocab_size=len(dict.fromkeys(vocab)), hidden_size=32, intermediate_size=64,
                        num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=128, num_labels=1,
                        initializer_range=0.5)  # wide weights: scores that differ passage to passage
    torch.manual_seed(seed)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
