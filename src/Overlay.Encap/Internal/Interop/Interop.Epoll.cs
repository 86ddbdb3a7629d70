using System.Runtime.InteropServices;

namespace Overlay.Encap.Internal.Interop;

internal static unsafe partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;
    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLOUT = 0x004;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;
    internal const uint EPOLLONESHOT = 0x4000_0000;

    /// <summary>sizeof(struct epoll_event): packed (12) on x86-64, naturally aligned (16) elsewhere.</summary>
    internal static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, byte* events);

    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    /// <summary>Writes an epoll_event (events, then the 64-bit data at offset 4 on x86-64 or 8 elsewhere).</summary>
    internal static void WriteEpollEvent(byte* target, uint events, ulong data)
    {
        *(uint*)target = events;
        *(ulong*)(target + (EpollEventSize - 8)) = data;
    }

    internal static void ReadEpollEvent(byte* source, out uint events, out ulong data)
    {
        events = *(uint*)source;
        data = *(ulong*)(source + (EpollEventSize - 8));
    }
}
