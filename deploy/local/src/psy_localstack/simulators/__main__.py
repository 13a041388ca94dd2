import os

import uvicorn

uvicorn.run(
    "psy_localstack.simulators.app:app",
    host="127.0.0.1",
    port=int(os.environ.get("SIMULATORS_PORT", "8009")),
    log_level="warning",
)
