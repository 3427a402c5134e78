# Dexcom G5 / G6 / ONE transmitter protocol codec (pure: no I/O, no clock).
#   dexcom.protocol  opcodes, GATT UUIDs, state and status codes
#   dexcom.crc       CRC-16/XMODEM (little-endian trailer)
#   dexcom.auth      the AES-128-ECB auth hash
#   dexcom.messages  builders for what a reader sends, parsers for the replies,
#                    glucose -> Reading, dex time -> Unix time
#   dexcom.backfill  backfill stream assembly and validation
#   dexcom.errors    DexcomError, the one error type
# Kept empty on purpose: importing a submodule costs only that submodule's RAM.
