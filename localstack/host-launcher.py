"""Starts LocalStack's runtime on the host (scripts/localstack.sh start), bound to loopback only.

Why a launcher: in localstack-core 4.4 the default gateway server (twisted) ignores the host of
GATEWAY_LISTEN and listens on 0.0.0.0 (TwistedRuntimeServer.register creates a
TCP4ServerEndpoint without `interface`, "TODO: interface = host?"). GATEWAY_SERVER=hypercorn
binds the right address but breaks S3 PutObject. So this keeps twisted and, before the runtime
starts, makes register() pass each GATEWAY_LISTEN entry's host as the endpoint's interface.
Everything else is `python -m localstack.runtime.main`.
"""

import sys


def bind_listeners_to_their_host() -> None:
    from localstack.runtime.server import twisted as twisted_server

    real_endpoints = twisted_server.endpoints
    original_register = twisted_server.TwistedRuntimeServer.register

    def register(self, gateway, listen, ssl_creds=None):
        hosts = {host_and_port.port: host_and_port.host for host_and_port in listen}

        class Endpoints:
            """`twisted.internet.endpoints` as register() sees it, TCP4 endpoints with a host."""

            TCP6ServerEndpoint = real_endpoints.TCP6ServerEndpoint

            @staticmethod
            def TCP4ServerEndpoint(reactor, port, backlog=50, interface=""):
                interface = interface or hosts.get(port, "")
                if not interface:
                    raise SystemExit(f"host-launcher: no host to bind port {port} to")
                return real_endpoints.TCP4ServerEndpoint(reactor, port, backlog, interface)

        twisted_server.endpoints = Endpoints
        try:
            return original_register(self, gateway, listen, ssl_creds)
        finally:
            twisted_server.endpoints = real_endpoints

    twisted_server.TwistedRuntimeServer.register = register


def main() -> None:
    from localstack import config

    if config.GATEWAY_SERVER != "twisted":
        # The patch above only covers twisted; another server would bind on its own terms.
        sys.exit(f"host-launcher: GATEWAY_SERVER={config.GATEWAY_SERVER!r}, expected 'twisted'")
    bind_listeners_to_their_host()

    from localstack.runtime.main import main as runtime_main

    runtime_main()


if __name__ == "__main__":
    main()
