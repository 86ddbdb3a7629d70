using System.Runtime.CompilerServices;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>The rtnetlink family header structs have the kernel's sizes (the golden-byte tests check the field values).</summary>
public sealed class FamilyHeaderTests
{
    [Fact]
    public void Header_structs_are_as_long_as_the_kernel_structs()
    {
        Assert.Equal(16, Unsafe.SizeOf<IfInfoMsg>());
        Assert.Equal(IfInfoMsg.Length, Unsafe.SizeOf<IfInfoMsg>());
        Assert.Equal(8, Unsafe.SizeOf<IfAddrMsg>());
        Assert.Equal(IfAddrMsg.Length, Unsafe.SizeOf<IfAddrMsg>());
        Assert.Equal(12, Unsafe.SizeOf<RtMsg>());
        Assert.Equal(RtMsg.Length, Unsafe.SizeOf<RtMsg>());
        Assert.Equal(12, Unsafe.SizeOf<NdMsg>());
        Assert.Equal(NdMsg.Length, Unsafe.SizeOf<NdMsg>());
    }
}
