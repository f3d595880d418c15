"""The CDF error envelope: `{"error": {"code": ..., "message": ..., ...}}`."""


class ApiError(Exception):
    """An answer other than success, carried up to the view that renders it.

    `extra` holds the optional members of the envelope (`missing`, `duplicated`, `partial`).
    """

    def __init__(self, code: int, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def bad_request(message: str, **extra) -> ApiError:
    return ApiError(400, message, **extra)
