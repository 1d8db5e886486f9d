# SPDX-License-Identifier: MIT
# CMake toolchain file: Cortex-M3 with picolibc, for QEMU's mps2-an385 board
# (the board symbols of cross/thumbv7m-picolibc.txt).  --specs=picolibc.specs
# only in the compile flags: CMake passes them to the link too, and gcc
# refuses the specs file twice.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m3 -mthumb --specs=picolibc.specs")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--oslib=semihost --crt0=semihost \
-Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=0x400000 \
-Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x400000")
