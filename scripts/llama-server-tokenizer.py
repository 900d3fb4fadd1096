#!/usr/bin/env python3
"""Write a Hugging Face tokenizer directory that matches a llama (SPM) GGUF's vocabulary (issue 8).

Output: OUT/tokenizer.json, OUT/tokenizer_config.json (chat template, special tokens, add_bos_token)
and OUT/special_tokens_map.json, as transformers saves a converted Llama tokenizer. The tokenizer is
what transformers' LlamaConverter makes of a SentencePiece BPE model (legacy mode, which is how
llama.cpp tokenizes: a "▁" is prepended to every stretch of text between special tokens):

- model: BPE over the GGUF's tokens (id = position), byte_fallback, fuse_unk, unk "<unk>"; merges
  are every split of a token into two tokens, ordered by the merged token's score (highest first),
  then the longer left part, then the ids of the parts — transformers' generate_merges;
- normalizer: Prepend("▁") then Replace(" ", "▁"); no pre-tokenizer (the text is one word);
- decoder: Replace("▁", " "), ByteFallback, Fuse, Strip one leading space;
- post-processor: BOS before the text when tokenizer.ggml.add_bos_token says so (EOS after it when
  add_eos_token does);
- added tokens: the control and unknown tokens (special, matched in the raw text, as llama-server
  does with parse_special), user-defined tokens (not special).

It reads the GGUF with gguf-py (PYTHONPATH=<llama.cpp>/gguf-py). Only the tokenizer.* keys are
read, and their digest is written to OUT/vocab.sha256 so a caller can tell a stale directory.
"""
import argparse
import hashlib
import json
import os

from gguf import GGUFReader, GGUFValueType

# llama.cpp's token types (llama_token_type in llama.h).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def field(reader, name, default=None):
    f = reader.fields.get(name)
    if f is None:
        return default
    if f.types[0] == GGUFValueType.ARRAY:
        if f.types[1] == GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8", errors="surrogateescape") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    v = f.parts[f.data[0]]
    if f.types[0] == GGUFValueType.STRING:
        return bytes(v).decode("utf-8")
    return v.tolist()[0]


def generate_merges(vocab, scores):
    """transformers' generate_merges(vocab, vocab_scores): every (left, right) of two tokens that
    concatenate to a token, by that token's score (highest first), then longer left, longer right;
    within a token by the parts' ids. Python's sort is stable, as the original relies on."""
    merges = []
    for piece, score in scores:
        local = []
        for i in range(1, len(piece)):
            left, right = piece[:i], piece[i:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: (m[2], len(m[0]), len(m[1])), reverse=True)
    return [[m[0], m[1]] for m in merges]


def digest(meta):
    h = hashlib.sha256()
    h.update(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode("utf-8", errors="surrogateescape"))
    return h.hexdigest()


def read_vocab(path):
    r = GGUFReader(path)
    meta = {
        "model": field(r, "tokenizer.ggml.model"),
        "tokens": field(r, "tokenizer.ggml.tokens"),
        "scores": field(r, "tokenizer.ggml.scores"),
        "types": field(r, "tokenizer.ggml.token_type"),
        "bos": field(r, "tokenizer.ggml.bos_token_id"),
        "eos": field(r, "tokenizer.ggml.eos_token_id"),
        "unk": field(r, "tokenizer.ggml.unknown_token_id"),
        "add_bos": bool(field(r, "tokenizer.ggml.add_bos_token", True)),
        "add_eos": bool(field(r, "tokenizer.ggml.add_eos_token", False)),
        "add_space_prefix": bool(field(r, "tokenizer.ggml.add_space_prefix", True)),
        "chat_template": field(r, "tokenizer.chat_template"),
    }
    if meta["model"] != "llama":
        raise SystemExit(f"{path}: tokenizer.ggml.model is {meta['model']!r}; this script writes SPM (llama) ones only")
    return meta


def build(meta):
    tokens, scores, types = meta["tokens"], meta["scores"], meta["types"]
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    merges = generate_merges(vocab, list(zip(tokens, scores)))
    added = []
    for i, (t, ty) in enumerate(zip(tokens, types)):
        if ty in (CONTROL, UNKNOWN, USER_DEFINED):
            special = ty != USER_DEFINED
            added.append(
                {
                    "id": i,
                    "content": t,
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": special,
                }
            )
    bos = tokens[meta["bos"]] if meta["bos"] is not None else None
    eos = tokens[meta["eos"]] if meta["eos"] is not None else None
    unk = tokens[meta["unk"]] if meta["unk"] is not None else None
    single, special_tokens = [], {}
    if meta["add_bos"] and bos is not None:
        single.append({"SpecialToken": {"id": bos, "type_id": 0}})
        special_tokens[bos] = {"id": bos, "ids": [meta["bos"]], "tokens": [bos]}
    single.append({"Sequence": {"id": "A", "type_id": 0}})
    if meta["add_eos"] and eos is not None:
        single.append({"SpecialToken": {"id": eos, "type_id": 0}})
        special_tokens[eos] = {"id": eos, "ids": [meta["eos"]], "tokens": [eos]}
    pair = single + [x if "Sequence" not in x else {"Sequence": {"id": "B", "type_id": 1}} for x in single]
    normalizers = [{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]
    if meta["add_space_prefix"]:
        normalizers.insert(0, {"type": "Prepend", "prepend": "▁"})
    decoders = [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"},
        {"type": "Fuse"},
    ]
    if meta["add_space_prefix"]:
        decoders.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": special_tokens},
        "decoder": {"type": "Sequence", "decoders": decoders},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": unk,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": merges,
        },
    }
    config = {
        "tokenizer_class": "LlamaTokenizer",
        "legacy": True,
        "add_bos_token": meta["add_bos"],
        "add_eos_token": meta["add_eos"],
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": unk,
        "pad_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1000000000000000019884624838656,
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
    }
    if meta["chat_template"] is not None:
        config["chat_template"] = meta["chat_template"]
    special_map = {k: v for k, v in (("bos_token", bos), ("eos_token", eos), ("unk_token", unk)) if v is not None}
    return tokenizer, config, special_map


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="a GGUF with an SPM (llama) vocabulary")
    p.add_argument("--out", required=True, help="directory to write (created)")
    a = p.parse_args()
    meta = read_vocab(a.model)
    tokenizer, config, special_map = build(meta)
    os.makedirs(a.out, exist_ok=True)
    files = {
        "tokenizer.json": tokenizer,
        "tokenizer_config.json": config,
        "special_tokens_map.json": special_map,
    }
    for name, value in files.items():
        with open(os.path.join(a.out, name), "w", encoding="utf-8", errors="surrogateescape") as f:
            json.dump(value, f, ensure_ascii=False, indent=None if name == "tokenizer.json" else 2)
            f.write("\n")
    with open(os.path.join(a.out, "vocab.sha256"), "w") as f:
        f.write(digest(meta) + "\n")
    print(json.dumps({"dir": a.out, "tokens": len(meta["tokens"]), "merges": len(tokenizer["model"]["merges"])}))


if __name__ == "__main__":
    main()
