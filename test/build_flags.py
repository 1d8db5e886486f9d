# SPDX-License-Identifier: MIT
"""What the link tests share (test_link_overflow.py, test_link_mismatch.py,
test_vendor_script.py, test_pkgconfig.py): the build's compiler and flags,
which test/meson.build passes as --cc, --c-arg and --link-arg (pa_cc_args),
and a command shown as a shell would take it."""
import shlex


def add_compiler_arguments(ap, link_help=None):
    """--cc (a word of the compiler command, repeated), --c-arg, --link-arg."""
    ap.add_argument('--cc', action='append', required=True, help='compiler command word (repeat)')
    ap.add_argument('--c-arg', action='append', default=[])
    ap.add_argument('--link-arg', action='append', default=[], help=link_help)


def show(cmd):
    """cmd as one shell line, for failure messages."""
    return ' '.join(shlex.quote(c) for c in cmd)
