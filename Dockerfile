# ivs-local, the IVS emulator, as a service beside your app:
#   docker build -t ivs-local . && docker run --rm -p 4566:4566 -p 1935:1935 -p 443:443 -v ivs-state:/data ivs-local
# Arguments after the image name go to ivs-local. Its URLs name 127.0.0.1 (the host's published
# ports); for other containers, name the host they reach it at: -e IVS_LOCAL_ADVERTISE_HOST=ivs-local.
# Nothing in the test suite needs Docker.
FROM python:3.12-slim

RUN useradd --create-home --uid 10001 ivs
WORKDIR /src
COPY pyproject.toml README.md LICENSE NOTICE CHANGELOG.md ./
COPY ivs_async ./ivs_async
# playback: token checks; media: ffmpeg (bundled by imageio-ffmpeg) for HLS, timed metadata and RTMPS.
RUN pip install --no-cache-dir '.[playback,media]' && rm -rf /src

RUN mkdir /data && chown ivs /data
USER ivs
WORKDIR /home/ivs
VOLUME /data
# 4566: the IVS API, playback URLs and the control API; 1935: RTMP ingest; 443: RTMPS ingest, so that
# IVS's own encoder URL, rtmps://{ingestEndpoint}:443/app/, works as it is. Docker lets a non-root
# user listen on 443 in a container (net.ipv4.ip_unprivileged_port_start is 0 there).
EXPOSE 4566 1935 443
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4566/_ivs_local/health', timeout=2)"]
# 0.0.0.0 inside the container, so that the published port reaches it (it prints a warning).
ENTRYPOINT ["ivs-local", "--host", "0.0.0.0", "--port", "4566", "--rtmps-port", "443", "--state-dir", "/data"]
