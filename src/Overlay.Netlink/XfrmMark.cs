namespace Overlay.Netlink;

/// <summary>An xfrm mark and mask (XFRMA_MARK).</summary>
/// <param name="Value">The mark.</param>
/// <param name="Mask">The mask.</param>
public readonly record struct XfrmMark(uint Value, uint Mask);
