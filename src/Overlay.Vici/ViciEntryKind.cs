namespace Overlay.Vici;

/// <summary>What a <see cref="ViciEntry"/> of a message is.</summary>
public enum ViciEntryKind
{
    /// <summary>A key and its value (<c>KEY_VALUE</c>).</summary>
    KeyValue,

    /// <summary>A named section holding a message of its own (<c>SECTION_START</c> … <c>SECTION_END</c>).</summary>
    Section,

    /// <summary>A named list of values (<c>LIST_START</c>, <c>LIST_ITEM</c>s, <c>LIST_END</c>).</summary>
    List,
}
