package dev.gridmesh.agent.wgquick;

import java.util.List;

/**
 * The shell hooks of a wg-quick file, in file order, {@code %i} not yet replaced: run by {@code bash -c} as wg-quick(8)
 * runs them, PreUp before the interface exists, PostUp once it is up, PreDown before it goes, PostDown after.
 */
public record WgQuickHooks(List<String> preUp, List<String> postUp, List<String> preDown, List<String> postDown) {
    public static final WgQuickHooks NONE = new WgQuickHooks(List.of(), List.of(), List.of(), List.of());

    public WgQuickHooks {
        preUp = List.copyOf(preUp);
        postUp = List.copyOf(postUp);
        preDown = List.copyOf(preDown);
        postDown = List.copyOf(postDown);
    }

    public boolean isEmpty() {
        return preUp.isEmpty() && postUp.isEmpty() && preDown.isEmpty() && postDown.isEmpty();
    }
}
