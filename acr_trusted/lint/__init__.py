"""``acr-trusted-lint``: find registries whose network rules lock out the consumers they need.

The lint path imports no Azure SDK; parsers are imported only when a file needs them.
"""
