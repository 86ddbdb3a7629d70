using Microsoft.Win32.SafeHandles;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>An owned Linux file descriptor.</summary>
internal sealed class SafeFileDescriptor : SafeHandleMinusOneIsInvalid
{
    public SafeFileDescriptor()
        : base(ownsHandle: true)
    {
    }

    public SafeFileDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
