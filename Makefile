# The two set-up commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT := out

.PHONY: demo test bench lint clean

# Debian packages the Python ones need: PortAudio (sounddevice, the speaker), Chromium (the studio's
# browser tests drive it; nothing downloads a browser), Flite and Festival (voices beyond eSpeak NG, built
# from human recordings, that the audio model trains, validates and is evaluated on; Catalan ona validates).
DEBS := libportaudio2 chromium flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k \
        festvox-ca-ona-hts
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	@for face in lips10 emo26; do \
	  sampler=$$( [ $$face = lips10 ] && echo speech || echo uniform ); \
	  $(PY) -m mirrorface babble --face $$face --sampler $$sampler --frames 300 --out $(OUT)/$$face-babble || exit 1; \
	  $(PY) -m mirrorface dataset video $(OUT)/$$face-babble --out $(OUT)/$$face-babble.mp4 || exit 1; \
	  $(PY) -m mirrorface dataset sheet $(OUT)/$$face-babble --out $(OUT)/$$face-sheet.png || exit 1; \
	done
	$(PY) -m mirrorface target-suite --out $(OUT)/targets
	@for n in 1 2 3; do \
	  $(PY) -m mirrorface say --test-sentence $$n --voice english1 --face lips10 --out $(OUT)/say/sentence$$n.mp4 || exit 1; \
	done
	@echo "demo: babbling videos and contact sheets, speech targets (out/targets) and the face speaking the"
	@echo "      paper's three test sentences, target | robot with audio (out/say), are in $(OUT)/"

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/babbling.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
