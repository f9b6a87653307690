"""Both ends of the wire: the shared protocol, the kiosk's sync agent and the ledger."""
