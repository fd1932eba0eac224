"""The only package that imports the Azure SDKs.

``clients`` builds credentials and clients, ``arm_errors`` maps azure-core errors to
``acr_trusted.errors``, ``registry`` reads and changes the network posture, ``rbac`` manages role
assignments and ``bypass`` diagnoses a consumer. Import the public names from ``acr_trusted``.
"""
