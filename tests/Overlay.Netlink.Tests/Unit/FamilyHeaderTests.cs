using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>The rtnetlink family headers and the xfrm structs have the kernel's sizes and offsets (the golden-byte
/// tests check the field values).</summary>
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

    [Fact]
    public void Xfrm_structs_are_laid_out_as_linux_xfrm_h_on_64_bit_hosts()
    {
        Assert.Equal(XfrmAddress.Length, Unsafe.SizeOf<XfrmAddress>());
        Assert.Equal(XfrmSelectorStruct.Length, Unsafe.SizeOf<XfrmSelectorStruct>());
        Assert.Equal(XfrmLifetimeCfg.Length, Unsafe.SizeOf<XfrmLifetimeCfg>());
        Assert.Equal(XfrmLifetimeCur.Length, Unsafe.SizeOf<XfrmLifetimeCur>());
        Assert.Equal(XfrmUserPolicyInfo.Length, Unsafe.SizeOf<XfrmUserPolicyInfo>());
        Assert.Equal(XfrmUserPolicyId.Length, Unsafe.SizeOf<XfrmUserPolicyId>());
        Assert.Equal(XfrmId.Length, Unsafe.SizeOf<XfrmId>());
        Assert.Equal(XfrmUserTmpl.Length, Unsafe.SizeOf<XfrmUserTmpl>());
        Assert.Equal(XfrmStats.Length, Unsafe.SizeOf<XfrmStats>());
        Assert.Equal(XfrmUserSaInfo.Length, Unsafe.SizeOf<XfrmUserSaInfo>());
        Assert.Equal(XfrmUserSaId.Length, Unsafe.SizeOf<XfrmUserSaId>());
        Assert.Equal(XfrmEncapTmpl.Length, Unsafe.SizeOf<XfrmEncapTmpl>());
        Assert.Equal(XfrmMarkStruct.Length, Unsafe.SizeOf<XfrmMarkStruct>());
        Assert.Equal((56, 168, 64, 224, 24), (XfrmSelectorStruct.Length, XfrmUserPolicyInfo.Length, XfrmUserTmpl.Length, XfrmUserSaInfo.Length, XfrmUserSaId.Length));

        // The offsets the kernel has (pahole on linux/xfrm.h), where alignment could move a field.
        Assert.Equal(48, (int)Marshal.OffsetOf<XfrmSelectorStruct>(nameof(XfrmSelectorStruct.InterfaceIndex)));
        Assert.Equal(152, (int)Marshal.OffsetOf<XfrmUserPolicyInfo>(nameof(XfrmUserPolicyInfo.Priority)));
        Assert.Equal(160, (int)Marshal.OffsetOf<XfrmUserPolicyInfo>(nameof(XfrmUserPolicyInfo.Direction)));
        Assert.Equal(60, (int)Marshal.OffsetOf<XfrmUserPolicyId>(nameof(XfrmUserPolicyId.Direction)));
        Assert.Equal(28, (int)Marshal.OffsetOf<XfrmUserTmpl>(nameof(XfrmUserTmpl.Source)));
        Assert.Equal(52, (int)Marshal.OffsetOf<XfrmUserTmpl>(nameof(XfrmUserTmpl.AuthenticationAlgorithms)));
        Assert.Equal(80, (int)Marshal.OffsetOf<XfrmUserSaInfo>(nameof(XfrmUserSaInfo.Source)));
        Assert.Equal(96, (int)Marshal.OffsetOf<XfrmUserSaInfo>(nameof(XfrmUserSaInfo.Lifetime)));
        Assert.Equal(208, (int)Marshal.OffsetOf<XfrmUserSaInfo>(nameof(XfrmUserSaInfo.RequestId)));
        Assert.Equal(214, (int)Marshal.OffsetOf<XfrmUserSaInfo>(nameof(XfrmUserSaInfo.Mode)));
        Assert.Equal(22, (int)Marshal.OffsetOf<XfrmUserSaId>(nameof(XfrmUserSaId.Protocol)));
        Assert.Equal(8, (int)Marshal.OffsetOf<XfrmEncapTmpl>(nameof(XfrmEncapTmpl.OriginalAddress)));
    }
}
