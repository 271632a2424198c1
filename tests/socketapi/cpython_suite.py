"""Run CPython's own tests of its socket module (Lib/test/test_socket.py) against socketapi.

A RealtimeRuntime host with only a loopback interface stands in for the machine:
`socketapi.patch(host)` puts it behind the standard library's `socket` module before the
test module is imported, so every test (and its client threads) uses the stack.  Prints one
line per test that failed or errored, then "ran N".  Used by test_cpython_suite.py.
"""

import sys
import unittest

# The classes that exercise AF_INET / AF_INET6 sockets and the module's functions; the
# others test other families (AF_UNIX, CAN, RDS, TIPC, VSOCK, ALG...), Windows or macOS.
CLASSES = [
    "GeneralModuleTests", "BasicTCPTest", "BasicTCPTest2", "BasicUDPTest", "NonBlockingTCPTests",
    "FileObjectClassTestCase", "UnbufferedFileObjectClassTestCase", "LineBufferedFileObjectClassTestCase",
    "SmallBufferedFileObjectClassTestCase", "UnicodeReadFileObjectClassTestCase",
    "UnicodeWriteFileObjectClassTestCase", "UnicodeReadWriteFileObjectClassTestCase",
    "NetworkConnectionNoServer", "NetworkConnectionAttributesTest", "NetworkConnectionBehaviourTest",
    "CreateServerTest", "CreateServerFunctionalTest", "TCPTimeoutTest", "UDPTimeoutTest", "TestExceptions",
    "BufferIOTest", "SendfileUsingSendTest", "SendfileUsingSendfileTest", "ContextManagersTest", "InheritanceTest",
    "BasicSocketPairTest",
    "SendmsgUDPTest", "RecvmsgUDPTest", "RecvmsgIntoUDPTest", "SendmsgTCPTest", "RecvmsgTCPTest",
    "RecvmsgIntoTCPTest", "SendmsgUDP6Test", "RecvmsgUDP6Test", "RecvmsgIntoUDP6Test", "CmsgMacroTests",
    "RecvmsgRFC3542AncillaryUDP6Test", "RecvmsgIntoRFC3542AncillaryUDP6Test",
    "BasicUDPLITETest", "UDPLITETimeoutTest", "SendmsgUDPLITETest", "RecvmsgUDPLITETest", "RecvmsgIntoUDPLITETest",
    "SendmsgUDPLITE6Test", "RecvmsgUDPLITE6Test", "RecvmsgIntoUDPLITE6Test", "RecvmsgRFC3542AncillaryUDPLITE6Test",
    "RecvmsgIntoRFC3542AncillaryUDPLITE6Test",
    "TCPCloserTest", "NonblockConstantTest", "InterruptedRecvTimeoutTest", "InterruptedSendTimeoutTest",
]


def main() -> int:
    from stack import Network

    import socketapi

    net = Network(seed=1, realtime=True)
    host = net.add_host("h1")
    net.start()
    socketapi.patch(host)
    import test.test_socket as suite

    tests = unittest.TestSuite()
    for name in CLASSES:
        tests.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(getattr(suite, name)))
    result = unittest.TestResult()
    tests.run(result)
    for test, _ in result.failures + result.errors:
        print("FAILED", test.id())
    print("ran", result.testsRun)
    sys.stdout.flush()
    net.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
