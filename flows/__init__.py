"""The domain of Partnerbot: pure Python, no I/O, no Telegram, no SQL.

Transports (``bot``) and storage (``storage``) depend on this package; it depends on
neither.
"""
