using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal.Interop;

internal static class Libraries
{
    public const string Libc = "libc";
}

/// <summary>libc socket functions that <see cref="System.Net.Sockets.Socket"/> cannot do for AF_NETLINK.</summary>
internal static unsafe partial class SocketInterop
{
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;

    [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, byte* address, uint addressLength);

    [LibraryImport(Libraries.Libc, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(SafeHandle socket, byte* address, uint* addressLength);

    [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}

/// <summary>Namespace and mount system calls.</summary>
internal static partial class NamespaceInterop
{
    public const int CloneNewNet = 0x40000000;
    public const ulong MsBind = 4096;
    public const ulong MsRec = 16384;
    public const ulong MsShared = 1 << 20;
    public const int MntDetach = 2;
    public const int ORdOnly = 0;
    public const int OCloexec = 0x80000;

    [LibraryImport(Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(SafeHandle fd, int nsType);

    [LibraryImport(Libraries.Libc, EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string? source, string target, string? fileSystemType, ulong flags, nint data);

    [LibraryImport(Libraries.Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);
}

/// <summary>ioctl for /dev/net/tun.</summary>
internal static unsafe partial class IoctlInterop
{
    public const uint TunSetIff = 0x400454ca;
    public const uint TunSetPersist = 0x400454cb;
    public const uint TunSetOwner = 0x400454cc;
    public const uint TunSetGroup = 0x400454ce;
    public const short IffTun = 0x0001;
    public const short IffTap = 0x0002;
    public const short IffNoPi = 0x1000;
    public const short IffMultiQueue = 0x0100;
    public const short IffVnetHdr = 0x4000;

    [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, void* argument);

    [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, nint argument);
}
