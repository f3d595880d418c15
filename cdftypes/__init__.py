"""The value rules of CDF record containers, shared by the app (checking what a user typed) and the
embedded emulator (checking what a client sent). Neither imports the other; both import this."""
