using System.Runtime.InteropServices;

namespace Overlay.Encap.Internal.Interop;

internal static unsafe partial class Libc
{
    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int SOCK_RAW = 3;
    internal const int IPPROTO_UDP = 17;
    internal const int IPPROTO_IPIP = 4;
    internal const int IP_HDRINCL = 3;

    internal const int SOL_SOCKET = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;
    internal const int SOL_UDP = 17;
    internal const int UDP_SEGMENT = 103;
    internal const int UDP_GRO = 104;
    internal const int SOL_IP = 0;
    internal const int IP_MTU_DISCOVER = 10;
    internal const int IP_PMTUDISC_DONT = 0;

    internal const int MSG_TRUNC = 0x20;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_CTRUNC = 0x08;

    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;      // network order
        public uint Address;     // network order
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, SockAddrIn* address, uint length);

    [LibraryImport(Libraries.Libc, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, SockAddrIn* address, uint* length);

    [LibraryImport(Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Libraries.Libc, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "sendmmsg", SetLastError = true)]
    internal static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    internal static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, SockAddrIn* address, uint addressLength);

    internal static int SetInt(int fd, int level, int name, int value) => SetSockOpt(fd, level, name, &value, sizeof(int));
}
