"""Project finance: cash flows, support instruments, the $550 bn vehicle, the registry."""
